/* Directive names, defined once so that a typo fails to compile instead of
 * producing a message that names a directive which does not exist. */
#ifndef NXS_DIRECTIVES_H
#define NXS_DIRECTIVES_H

#define NXS_D_CLIENT_ID         "NexteSlackClientID"
#define NXS_D_CLIENT_SECRET     "NexteSlackClientSecret"
#define NXS_D_SIGNING_SECRET    "NexteSlackSigningSecret"
#define NXS_D_EVENT_SECRET      "NexteSlackEventSecret"
#define NXS_D_TOKEN_KEY_FILE    "NexteSlackTokenKeyFile"
#define NXS_D_PUBLIC_URL        "NexteSlackPublicURL"
#define NXS_D_APP_URL           "NexteSlackAppURL"
#define NXS_D_API_BASE          "NexteSlackAPIBase"
#define NXS_D_AUTHORIZE_URL     "NexteSlackAuthorizeURL"
#define NXS_D_QUEUE             "NexteSlackQueue"
#define NXS_D_WORKERS           "NexteSlackWorkers"
#define NXS_D_RETRY_WINDOW      "NexteSlackRetryWindow"
#define NXS_D_RETRY_BACKOFF     "NexteSlackRetryBackoff"
#define NXS_D_RECONNECT_GRACE   "NexteSlackReconnectGrace"
#define NXS_D_CALLBACK_URL      "NexteSlackCallbackURL"
#define NXS_D_SETTINGS_PATH     "NexteSlackSettingsPath"
#define NXS_D_OAUTH_PATH        "NexteSlackOAuthPath"
#define NXS_D_RESPONSE_URL_BASE "NexteSlackResponseURLBase"
#define NXS_D_CHANNEL_CACHE     "NexteSlackChannelCache"

/* Handler names for SetHandler. */
#define NXS_H_EVENTS       "nexte-slack-events"
#define NXS_H_OAUTH        "nexte-slack-oauth"
#define NXS_H_INTERACTIONS "nexte-slack-interactions"
#define NXS_H_SETTINGS     "nexte-slack-settings"
#define NXS_H_STATUS       "nexte-slack-status"

#endif
