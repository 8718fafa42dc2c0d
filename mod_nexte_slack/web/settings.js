/* The settings page's script (served as <settings>/assets/settings.js).
 *
 * Renders the Slack settings of the signed-in account from GET api/config
 * and changes them through the JSON API of the same location (README
 * "Settings: launch link, Slack install, JSON API"); nothing else is called.
 * The page is built with DOM calls only (no innerHTML of data), so a channel
 * or team name can never become markup; the Content-Security-Policy forbids
 * inline script and style anyway.  Every write carries the session's CSRF
 * token (X-CSRF-Token, or the csrf_token field of the Add to Slack form).
 *
 * Texts are in English and French (the account's locale); STRINGS below is
 * the one place they live.  The element ids are a contract with the browser
 * tests (t/browser/). */
'use strict';

(function () {
  var STRINGS = {
    en: {
      title: 'Slack notifications',
      loading: 'Loading…',
      account: 'Account {account} · {plan} plan',
      plan_solo: 'Solo', plan_team: 'Team', plan_agency: 'Agency',
      session_expired: 'Your session has expired. Open the Slack settings from Nexte again to go on.',
      network_error: 'Nexte could not be reached. Check your connection and try again.',
      store_error: 'The settings could not be saved right now. Try again in a minute.',
      health_title: 'Connection',
      health_connected: 'Connected to {team}.',
      health_reconnect_needed: 'Slack no longer accepts Nexte’s access to {team}. Reconnect to resume posting; messages wait in the meantime.',
      health_disconnected: 'Disconnected. Nothing is posted.',
      health_not_connected: 'Not connected yet.',
      health_failing: '{n} channel(s) failed on their last message: see below.',
      purge_date: 'Your channels, mentions and filters are kept until {date}; reconnect before then to get them back.',
      reconnect: 'Reconnect Slack',
      add_workspace: 'Add another workspace',
      connect_title: 'Connect Slack',
      connect_intro: 'Nexte posts your business events (payments, quotes, new leads, bookings, alerts and a daily recap) in the Slack channels you choose.',
      connect_posts: 'Nexte will post only in the channels you select, as the Nexte app.',
      connect_no_read: 'Nexte does not read your messages and has no access to direct messages.',
      connect_steps: 'You will be sent to Slack to pick the workspace and allow Nexte, then back here to choose the channels.',
      add_to_slack: 'Add to Slack',
      connect_account: 'Slack will be connected to Nexte account {account}.',
      installed: 'Connected to {team}. Now choose a channel for each kind of event.',
      workspaces_title: 'Workspace',
      workspace_label: 'Workspace that receives the messages',
      workspace_saved: '{team} now receives the messages.',
      categories_title: 'Channels',
      categories_intro: 'One channel per kind of event. A kind without a channel is not posted.',
      channel_label: 'Channel for {name}',
      channel_placeholder: 'Search a channel…',
      channel_none: 'Not posted',
      clear_channel: 'Don’t post',
      clear_channel_label: 'Don’t post {name}',
      mention_label: 'Mention for {name}',
      mention_none: 'No mention',
      mention_here: '@here (people online)',
      mention_channel: '@channel (everyone)',
      advice_mention: 'Recommended: @here, so that a failed payment or an alert is seen at once.',
      advice_no_mention: 'Best without a mention: mentions on routine events tire the team.',
      suggested: 'Suggested: #{name}',
      use_suggested: 'Use #{name}',
      no_match: 'No channel matches “{q}”.',
      more_matches: '{n} more: type more of the name.',
      channels_loading: 'Loading the channels…',
      channels_error: 'Slack did not list your channels ({code}). Try again in a moment.',
      channels_retry: 'Try again',
      channels_reconnect: 'Slack no longer accepts Nexte’s access, so your channels cannot be listed: reconnect Slack above.',
      saving: 'Saving…',
      saved: 'Saved',
      last_error: 'Last message failed: {why}',
      confirm: 'Confirm and send test messages',
      confirm_intro: 'Nexte posts a short test message in each selected channel so you can check that it arrives.',
      confirm_none: 'Choose at least one channel first.',
      confirm_running: 'Sending the test messages…',
      confirm_all_ok: 'All test messages were posted.',
      confirm_some_failed: 'Some test messages were not posted: see the channels marked below.',
      result_ok: 'Test message posted',
      result_failed: 'Not posted: {why}',
      filters_title: 'Advanced filters',
      filters_locked: 'Advanced filters are an Agency plan feature. What is shown here is kept but not applied on your plan.',
      filters_intro: 'Filters apply to new events. Amounts are in {currency}; hours are in {timezone}.',
      thresholds_title: 'Amount thresholds',
      threshold_label: '{name}: post only above',
      members_title: 'Members',
      members_label: '{name}: only for these members',
      members_hint: 'Nexte member ids separated by commas (e.g. mem_3, mem_7). Empty: every member.',
      clients_title: 'Dedicated channels per client',
      projects_title: 'Dedicated channels per project',
      routes_hint: 'Events of this client or project go to its channel instead of the category’s.',
      client_label: 'Client id',
      project_label: 'Project id',
      route_channel_label: 'Channel for {key}',
      route_channel_label_new: 'Channel',
      add_client_route: 'Add a client',
      add_project_route: 'Add a project',
      remove_route: 'Remove',
      remove_route_label: 'Remove {key}',
      hours_title: 'Active hours',
      hours_on: 'Post only during active hours',
      hours_hint: 'Outside these hours, events are held and posted as one summary per channel when the next active period starts. An end before the start runs to the next day.',
      days: 'Days',
      day_mon: 'Mon', day_tue: 'Tue', day_wed: 'Wed', day_thu: 'Thu', day_fri: 'Fri', day_sat: 'Sat', day_sun: 'Sun',
      hours_start: 'From',
      hours_end: 'To',
      save_filters: 'Save filters',
      filters_saved: 'Filters saved.',
      filters_invalid: 'Some fields need a correction.',
      err_amount: 'Enter an amount such as 500 or 500.00.',
      err_id: 'Enter a Nexte id (letters, digits, _ and -).',
      err_members: 'Enter Nexte member ids separated by commas, such as mem_3, mem_7.',
      err_route_channel: 'Choose a channel.',
      err_days: 'Choose at least one day.',
      err_hours: 'Enter a start and an end that differ.',
      disconnect_title: 'Disconnect',
      disconnect_intro: 'Stop posting to Slack and revoke Nexte’s access.',
      disconnect: 'Disconnect Slack',
      dialog_title: 'Disconnect Slack?',
      dialog_text: 'Nexte’s access to Slack is revoked now and nothing more is posted; messages not yet sent are dropped. Your channels, mentions and filters are kept until {date}, so reconnecting restores them; after that date they are deleted.',
      dialog_cancel: 'Cancel',
      dialog_confirm: 'Disconnect',
      disconnected: 'Slack is disconnected.',
      why_is_archived: 'the channel is archived; choose another one.',
      why_channel_not_found: 'Slack cannot find this channel (deleted, or private); choose another one.',
      why_not_in_channel: 'Nexte’s app is not a member of this private channel; invite it or choose another one.',
      why_token: 'Slack no longer accepts Nexte’s access; reconnect Slack.',
      why_missing_scope: 'Nexte lacks a permission; reconnect Slack to grant it.',
      why_ratelimited: 'Slack asked Nexte to slow down; try again in a minute.',
      why_unreachable: 'Slack could not be reached; try again in a minute.',
      why_other: 'Slack answered “{code}”.'
    },
    fr: {
      title: 'Notifications Slack',
      loading: 'Chargement…',
      account: 'Compte {account} · formule {plan}',
      plan_solo: 'Solo', plan_team: 'Team', plan_agency: 'Agency',
      session_expired: 'Votre session a expiré. Rouvrez les réglages Slack depuis Nexte pour continuer.',
      network_error: 'Nexte est injoignable. Vérifiez votre connexion et réessayez.',
      store_error: 'Les réglages ne peuvent pas être enregistrés pour le moment. Réessayez dans une minute.',
      health_title: 'Connexion',
      health_connected: 'Connecté à {team}.',
      health_reconnect_needed: 'Slack n’accepte plus l’accès de Nexte à {team}. Reconnectez-le pour reprendre les envois ; les messages attendent en attendant.',
      health_disconnected: 'Déconnecté. Rien n’est publié.',
      health_not_connected: 'Pas encore connecté.',
      health_failing: '{n} canal(aux) en échec sur leur dernier message : voir ci-dessous.',
      purge_date: 'Vos canaux, mentions et filtres sont conservés jusqu’au {date} ; reconnectez-vous avant pour les retrouver.',
      reconnect: 'Reconnecter Slack',
      add_workspace: 'Ajouter un autre espace de travail',
      connect_title: 'Connecter Slack',
      connect_intro: 'Nexte publie vos événements (paiements, devis, nouveaux contacts, rendez-vous, alertes et un récapitulatif quotidien) dans les canaux Slack de votre choix.',
      connect_posts: 'Nexte publie uniquement dans les canaux que vous choisissez, au nom de l’application Nexte.',
      connect_no_read: 'Nexte ne lit pas vos messages et n’a aucun accès aux messages directs.',
      connect_steps: 'Vous serez envoyé sur Slack pour choisir l’espace de travail et autoriser Nexte, puis ramené ici pour choisir les canaux.',
      add_to_slack: 'Ajouter à Slack',
      connect_account: 'Slack sera connecté au compte Nexte {account}.',
      installed: 'Connecté à {team}. Choisissez maintenant un canal pour chaque type d’événement.',
      workspaces_title: 'Espace de travail',
      workspace_label: 'Espace de travail qui reçoit les messages',
      workspace_saved: '{team} reçoit désormais les messages.',
      categories_title: 'Canaux',
      categories_intro: 'Un canal par type d’événement. Un type sans canal n’est pas publié.',
      channel_label: 'Canal pour {name}',
      channel_placeholder: 'Rechercher un canal…',
      channel_none: 'Non publié',
      clear_channel: 'Ne pas publier',
      clear_channel_label: 'Ne pas publier {name}',
      mention_label: 'Mention pour {name}',
      mention_none: 'Aucune mention',
      mention_here: '@here (personnes en ligne)',
      mention_channel: '@channel (tout le monde)',
      advice_mention: 'Conseillé : @here, pour qu’un paiement échoué ou une alerte soit vu tout de suite.',
      advice_no_mention: 'Mieux sans mention : les mentions sur les événements courants fatiguent l’équipe.',
      suggested: 'Suggéré : #{name}',
      use_suggested: 'Utiliser #{name}',
      no_match: 'Aucun canal ne correspond à « {q} ».',
      more_matches: '{n} de plus : tapez davantage du nom.',
      channels_loading: 'Chargement des canaux…',
      channels_error: 'Slack n’a pas listé vos canaux ({code}). Réessayez dans un instant.',
      channels_retry: 'Réessayer',
      channels_reconnect: 'Slack n’accepte plus l’accès de Nexte, donc vos canaux ne peuvent pas être listés : reconnectez Slack ci-dessus.',
      saving: 'Enregistrement…',
      saved: 'Enregistré',
      last_error: 'Échec du dernier message : {why}',
      confirm: 'Confirmer et envoyer les messages de test',
      confirm_intro: 'Nexte publie un court message de test dans chaque canal choisi pour vérifier qu’il arrive.',
      confirm_none: 'Choisissez d’abord au moins un canal.',
      confirm_running: 'Envoi des messages de test…',
      confirm_all_ok: 'Tous les messages de test ont été publiés.',
      confirm_some_failed: 'Certains messages de test n’ont pas été publiés : voir les canaux signalés ci-dessous.',
      result_ok: 'Message de test publié',
      result_failed: 'Non publié : {why}',
      filters_title: 'Filtres avancés',
      filters_locked: 'Les filtres avancés sont réservés à la formule Agency. Ce qui est affiché est conservé mais non appliqué avec votre formule.',
      filters_intro: 'Les filtres s’appliquent aux nouveaux événements. Montants en {currency} ; heures en {timezone}.',
      thresholds_title: 'Seuils de montant',
      threshold_label: '{name} : publier seulement au-dessus de',
      members_title: 'Membres',
      members_label: '{name} : seulement pour ces membres',
      members_hint: 'Identifiants de membres Nexte séparés par des virgules (ex. mem_3, mem_7). Vide : tous les membres.',
      clients_title: 'Canaux dédiés par client',
      projects_title: 'Canaux dédiés par projet',
      routes_hint: 'Les événements de ce client ou projet vont dans son canal au lieu de celui de la catégorie.',
      client_label: 'Identifiant client',
      project_label: 'Identifiant projet',
      route_channel_label: 'Canal pour {key}',
      route_channel_label_new: 'Canal',
      add_client_route: 'Ajouter un client',
      add_project_route: 'Ajouter un projet',
      remove_route: 'Retirer',
      remove_route_label: 'Retirer {key}',
      hours_title: 'Heures actives',
      hours_on: 'Publier seulement pendant les heures actives',
      hours_hint: 'En dehors de ces heures, les événements sont mis de côté et publiés en un résumé par canal au début de la période active suivante. Une fin avant le début va jusqu’au lendemain.',
      days: 'Jours',
      day_mon: 'lun.', day_tue: 'mar.', day_wed: 'mer.', day_thu: 'jeu.', day_fri: 'ven.', day_sat: 'sam.', day_sun: 'dim.',
      hours_start: 'De',
      hours_end: 'À',
      save_filters: 'Enregistrer les filtres',
      filters_saved: 'Filtres enregistrés.',
      filters_invalid: 'Certains champs sont à corriger.',
      err_amount: 'Saisissez un montant comme 500 ou 500.00.',
      err_id: 'Saisissez un identifiant Nexte (lettres, chiffres, _ et -).',
      err_members: 'Saisissez des identifiants de membres séparés par des virgules, comme mem_3, mem_7.',
      err_route_channel: 'Choisissez un canal.',
      err_days: 'Choisissez au moins un jour.',
      err_hours: 'Saisissez un début et une fin différents.',
      disconnect_title: 'Déconnexion',
      disconnect_intro: 'Arrêter les publications dans Slack et révoquer l’accès de Nexte.',
      disconnect: 'Déconnecter Slack',
      dialog_title: 'Déconnecter Slack ?',
      dialog_text: 'L’accès de Nexte à Slack est révoqué tout de suite et plus rien n’est publié ; les messages pas encore envoyés sont abandonnés. Vos canaux, mentions et filtres sont conservés jusqu’au {date}, pour qu’une reconnexion les restaure ; ensuite ils sont supprimés.',
      dialog_cancel: 'Annuler',
      dialog_confirm: 'Déconnecter',
      disconnected: 'Slack est déconnecté.',
      why_is_archived: 'le canal est archivé ; choisissez-en un autre.',
      why_channel_not_found: 'Slack ne trouve pas ce canal (supprimé, ou privé) ; choisissez-en un autre.',
      why_not_in_channel: 'l’application Nexte n’est pas membre de ce canal privé ; invitez-la ou choisissez un autre canal.',
      why_token: 'Slack n’accepte plus l’accès de Nexte ; reconnectez Slack.',
      why_missing_scope: 'il manque une autorisation à Nexte ; reconnectez Slack pour l’accorder.',
      why_ratelimited: 'Slack a demandé à Nexte de ralentir ; réessayez dans une minute.',
      why_unreachable: 'Slack est injoignable ; réessayez dans une minute.',
      why_other: 'Slack a répondu « {code} ».'
    }
  };

  var CATEGORIES = [
    {id: 'payments', icon: '💰', mention: true, amounts: true, members: true,
      name: {en: 'Payments', fr: 'Paiements'},
      example: {en: 'Invoice paid, payment failed, subscription renewed, refund issued.',
        fr: 'Facture payée, paiement échoué, abonnement renouvelé, remboursement.'}},
    {id: 'quotes', icon: '📝', amounts: true, members: true,
      name: {en: 'Proposals and quotes', fr: 'Propositions et devis'},
      example: {en: 'Quote sent, opened by the client, accepted or declined, with its amount.',
        fr: 'Devis envoyé, ouvert par le client, accepté ou refusé, avec son montant.'}},
    {id: 'contacts', icon: '👥', members: true,
      name: {en: 'New contacts', fr: 'Nouveaux contacts'},
      example: {en: 'New lead from the website form, a booking request or a client message.',
        fr: 'Nouveau contact : formulaire du site, demande de rendez-vous ou message client.'}},
    {id: 'booking', icon: '📅', members: true,
      name: {en: 'Booking', fr: 'Rendez-vous'},
      example: {en: 'Appointment booked, cancelled or to reschedule; an alert 15 minutes before it starts.',
        fr: 'Rendez-vous pris, annulé ou à déplacer ; une alerte 15 minutes avant le début.'}},
    {id: 'alerts', icon: '🚨', mention: true, amounts: true, members: true,
      name: {en: 'Operational alerts', fr: 'Alertes opérationnelles'},
      example: {en: 'Invoice overdue by more than 7 days, paused project, integration error, quota nearly reached.',
        fr: 'Facture en retard de plus de 7 jours, projet en pause, erreur d’intégration, quota presque atteint.'}},
    {id: 'recap', icon: '📊', suggest: 'nexte-daily',
      name: {en: 'Daily recap', fr: 'Récapitulatif quotidien'},
      example: {en: 'At 9:00, yesterday’s numbers: revenue, payments, new records.',
        fr: 'À 9 h, les chiffres de la veille : chiffre d’affaires, paiements, nouveaux dossiers.'}}
  ];
  var DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
  var MAX_OPTIONS = 50;
  var ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
  var AMOUNT_RE = /^[0-9]{1,15}(\.[0-9]{1,3})?$/;

  var body = document.body;
  var app = document.getElementById('app');
  var state = {
    lang: 'en', csrf: null, config: null, expired: false,
    channels: null, channelsTeam: null, channelsError: null, channelsLoading: null,
    confirm: null, notice: null, installed: null
  };

  /* ---- texts ---- */

  function t(key, vars) {
    var s = (STRINGS[state.lang] && STRINGS[state.lang][key]) || STRINGS.en[key] || key;
    return s.replace(/\{(\w+)\}/g, function (m, k) {
      return vars && vars[k] !== undefined ? String(vars[k]) : m;
    });
  }
  /* The text of KEY with NODE in place of its {NAME}: [before, node, after]. */
  function tWith(key, vars, name, node) {
    var parts = t(key, vars).split('{' + name + '}');
    return [parts[0], node, parts.slice(1).join('')];
  }
  function catName(cat) { return cat.name[state.lang] || cat.name.en; }
  function formatDate(unix) {
    try {
      return new Intl.DateTimeFormat(state.lang === 'fr' ? 'fr-FR' : 'en-GB',
        {dateStyle: 'long', timeZone: (state.config && state.config.account.timezone) || undefined})
        .format(new Date(unix * 1000));
    } catch (e) {
      return new Date(unix * 1000).toISOString().slice(0, 10);
    }
  }
  /* A Slack error code in plain words. */
  function why(code) {
    code = code || '';
    if (code === 'is_archived' || code === 'channel_not_found' || code === 'not_in_channel' ||
        code === 'missing_scope' || code === 'ratelimited') {
      return t('why_' + code);
    }
    if (/^(token_revoked|token_expired|invalid_auth|account_inactive|not_authed|no_token|reconnect_needed)$/.test(code)) {
      return t('why_token');
    }
    if (/^(timeout|unreachable|connect|http_5\d\d|slack_unreachable|network)/.test(code)) {
      return t('why_unreachable');
    }
    return t('why_other', {code: code});
  }

  /* ---- DOM ---- */

  /* h('p', {id: 'x', class: 'y', onclick: fn}, 'text', node, ...) */
  function h(tag, attrs) {
    var el = document.createElement(tag);
    var k, v, i;
    for (k in attrs || {}) {
      v = attrs[k];
      if (v === null || v === undefined || v === false) {
        continue;
      }
      if (k.slice(0, 2) === 'on') {
        el.addEventListener(k.slice(2), v);
      } else if (k === 'class') {
        el.className = v;
      } else if (k === 'text') {
        el.textContent = v;
      } else if (k in el && typeof v !== 'string') {
        el[k] = v;
      } else {
        el.setAttribute(k, v === true ? '' : v);
      }
    }
    for (i = 2; i < arguments.length; i++) {
      append(el, arguments[i]);
    }
    return el;
  }
  function append(el, child) {
    if (child === null || child === undefined || child === false) {
      return;
    }
    if (Array.isArray(child)) {
      child.forEach(function (c) { append(el, c); });
    } else {
      el.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    }
  }
  function $(id) { return document.getElementById(id); }

  /* ---- the API ---- */

  function ApiError(status, code, message, field) {
    this.status = status;
    this.code = code || 'http_' + status;
    this.message = message || '';
    this.field = field || null;
  }

  function api(method, path, data) {
    var opts = {method: method, credentials: 'same-origin', headers: {Accept: 'application/json'}};
    if (method !== 'GET') {
      opts.headers['X-CSRF-Token'] = state.csrf || '';
    }
    if (data !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(data);
    }
    return fetch('api/' + path, opts).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (json) {
        if (res.status === 401) {
          sessionExpired();
        }
        if (!res.ok) {
          throw new ApiError(res.status, json && json.error, json && json.message, json && json.field);
        }
        return json;
      });
    }, function () {
      throw new ApiError(0, 'network', t('network_error'));
    });
  }

  function sessionExpired() {
    state.expired = true;
    var box = $('session-expired');
    if (!box) {
      return; /* the page is not built yet: start() shows it */
    }
    box.textContent = t('session_expired');
    box.hidden = false;
    body.setAttribute('data-expired', 'true');
    box.focus();
  }

  function notice(kind, text) {
    var el = $('notice');
    el.textContent = text || '';
    el.setAttribute('data-kind', kind);
  }

  /* A failed write: the session alert says it all on a 401; else a notice. */
  function failed(err) {
    if (err.status === 401) {
      return;
    }
    notice('error', err.status === 0 ? t('network_error')
      : err.status === 503 ? t('store_error') : (err.message || err.code));
  }

  /* ---- page skeleton ---- */

  function skeleton() {
    app.textContent = '';
    append(app, [
      h('div', {id: 'session-expired', role: 'alert', tabindex: '-1', hidden: true, class: 'banner banner-error'}),
      h('header', {class: 'page-head'},
        h('h1', {text: t('title')}),
        h('p', {class: 'sub'}, tWith('account', {plan: planName()}, 'account',
          h('span', {id: 'account-id', text: state.config.account.id})))),
      h('p', {id: 'notice', role: 'status', class: 'notice'}),
      h('p', {id: 'install-result', role: 'status', class: 'banner banner-ok', hidden: true}),
      h('section', {id: 'health', 'aria-labelledby': 'health-title'}),
      h('section', {id: 'connect', 'aria-labelledby': 'connect-title', hidden: true}),
      h('section', {id: 'workspaces', 'aria-labelledby': 'workspaces-title', hidden: true}),
      h('section', {id: 'categories', 'aria-labelledby': 'categories-title', hidden: true}),
      h('section', {id: 'filters', 'aria-labelledby': 'filters-title'}),
      h('section', {id: 'danger', 'aria-labelledby': 'danger-title', hidden: true})
    ]);
  }

  function planName() {
    return t('plan_' + state.config.account.plan);
  }

  function activeWorkspace() {
    var ws = state.config.workspaces || [];
    for (var i = 0; i < ws.length; i++) {
      if (ws[i].active) {
        return ws[i];
      }
    }
    return null;
  }

  /* The Add to Slack form: a POST with the CSRF token, so no other site can
   * start an install in this session. */
  function oauthForm(id, label, kind) {
    return h('form', {method: 'post', action: body.getAttribute('data-oauth-start'), class: 'inline-form'},
      h('input', {type: 'hidden', name: 'csrf_token', value: state.csrf || ''}),
      h('button', {id: id, type: 'submit', class: kind || 'button'}, label));
  }

  function render() {
    var cfg = state.config;
    document.documentElement.lang = state.lang;
    document.title = t('title') + ' · Nexte';
    skeleton();
    renderHealth(cfg);
    renderConnect(cfg);
    renderWorkspaces(cfg);
    renderCategories(cfg);
    renderFilters(cfg);
    renderDanger(cfg);
    if (state.installed) {
      var box = $('install-result');
      box.textContent = t('installed', {team: state.installed});
      box.hidden = false;
    }
    if (state.notice) {
      notice(state.notice[0], state.notice[1]);
      state.notice = null;
    }
    if (state.expired) {
      sessionExpired();
    }
    body.setAttribute('data-ready', 'true');
  }

  /* ---- health ---- */

  function renderHealth(cfg) {
    var sec = $('health');
    var conn = cfg.connection.state;
    var ws = activeWorkspace();
    var team = ws ? ws.team_name : '';
    var failing = 0;
    Object.keys(cfg.categories || {}).forEach(function (k) {
      if (cfg.categories[k].channel_id && cfg.categories[k].last_error) {
        failing++;
      }
    });
    append(sec, [
      h('h2', {id: 'health-title', text: t('health_title')}),
      h('p', {id: 'health-state', 'data-state': conn, class: 'health health-' + conn},
        h('span', {class: 'dot', 'aria-hidden': 'true'}),
        t('health_' + conn, {team: team})),
      conn === 'disconnected' && cfg.connection.purge_at
        ? h('p', {id: 'purge-date', text: t('purge_date', {date: formatDate(cfg.connection.purge_at)})}) : null,
      failing && conn === 'connected' ? h('p', {class: 'warn', text: t('health_failing', {n: failing})}) : null,
      conn === 'reconnect_needed' || conn === 'disconnected' ? oauthForm('reconnect', t('reconnect')) : null,
      conn === 'connected' ? oauthForm('add-workspace', t('add_workspace'), 'button button-quiet') : null
    ]);
  }

  function renderConnect(cfg) {
    var sec = $('connect');
    if (cfg.connection.state !== 'not_connected') {
      return;
    }
    sec.hidden = false;
    append(sec, [
      h('h2', {id: 'connect-title', text: t('connect_title')}),
      h('p', {text: t('connect_intro')}),
      h('ul', {class: 'promises'},
        h('li', {text: t('connect_posts')}),
        h('li', {text: t('connect_no_read')})),
      h('p', {class: 'hint', text: t('connect_steps')}),
      h('p', {id: 'connect-account', text: t('connect_account', {account: cfg.account.id})}),
      oauthForm('add-to-slack', t('add_to_slack'), 'button button-slack')
    ]);
  }

  /* ---- workspaces ---- */

  function renderWorkspaces(cfg) {
    var ws = cfg.workspaces || [];
    var sec = $('workspaces');
    if (ws.length < 2) {
      return;
    }
    sec.hidden = false;
    var select = h('select', {id: 'workspace-select', onchange: function () {
      var team = select.value;
      select.disabled = true;
      api('PUT', 'workspaces/active', {team_id: team}).then(function () {
        var w = ws.filter(function (x) { return x.team_id === team; })[0];
        state.notice = ['ok', t('workspace_saved', {team: w ? w.team_name : team})];
        state.channels = null;
        return reload();
      }).catch(function (err) {
        select.disabled = false;
        failed(err);
      });
    }}, ws.map(function (w) {
      return h('option', {value: w.team_id, selected: w.active, text: w.team_name});
    }));
    append(sec, [
      h('h2', {id: 'workspaces-title', text: t('workspaces_title')}),
      h('div', {class: 'field'},
        h('label', {for: 'workspace-select', text: t('workspace_label')}), select)
    ]);
  }

  /* ---- channel combobox (WAI-ARIA combobox with a listbox popup) ---- */

  function channelName(id) {
    var list = state.channels || [];
    for (var i = 0; i < list.length; i++) {
      if (list[i].id === id) {
        return list[i].name;
      }
    }
    return null;
  }

  /* opts: id, label, value {id, name}, onpick(channel), placeholder, extraClass */
  function combobox(opts) {
    var listId = opts.id + '-list';
    var value = opts.value || null;
    var input = h('input', {
      id: opts.id, type: 'text', role: 'combobox', class: 'combo-input ' + (opts.extraClass || ''),
      'aria-autocomplete': 'list', 'aria-expanded': 'false', 'aria-controls': listId,
      autocomplete: 'off', spellcheck: 'false', placeholder: opts.placeholder || t('channel_placeholder')
    });
    var list = h('ul', {id: listId, role: 'listbox', class: 'combo-list', hidden: true, 'aria-label': opts.label});
    var status = h('p', {class: 'combo-status', hidden: true, 'aria-live': 'polite'});
    var active = -1;
    var shown = [];

    function label(v) { return v && v.name ? '#' + v.name : ''; }
    function setValue(v) {
      value = v;
      input.value = label(v);
      if (v && v.id) {
        input.setAttribute('data-channel-id', v.id);
      } else {
        input.removeAttribute('data-channel-id');
      }
    }
    function close() {
      list.hidden = true;
      status.hidden = true;
      input.setAttribute('aria-expanded', 'false');
      input.removeAttribute('aria-activedescendant');
      active = -1;
    }
    function highlight(i) {
      var items = list.children;
      if (active >= 0 && items[active]) {
        items[active].setAttribute('aria-selected', 'false');
      }
      active = i;
      if (i >= 0 && items[i]) {
        items[i].setAttribute('aria-selected', 'true');
        input.setAttribute('aria-activedescendant', items[i].id);
        items[i].scrollIntoView({block: 'nearest'});
      } else {
        input.removeAttribute('aria-activedescendant');
      }
    }
    function pick(ch) {
      setValue({id: ch.id, name: ch.name});
      close();
      if (opts.onpick) {
        opts.onpick(ch);
      }
    }
    function open() {
      if (input.disabled) {
        return;
      }
      var q = input.value.replace(/^#/, '').trim().toLowerCase();
      if (value && input.value === label(value)) {
        q = '';
      }
      list.textContent = '';
      status.hidden = true;
      active = -1;
      if (!state.channels) {
        status.textContent = state.channelsError ? t('channels_error', {code: state.channelsError}) : t('channels_loading');
        status.hidden = false;
        input.setAttribute('aria-expanded', 'false');
        return;
      }
      var matches = state.channels.filter(function (c) { return c.name.toLowerCase().indexOf(q) >= 0; });
      matches.sort(function (a, b) {
        var pa = a.name.toLowerCase().indexOf(q) === 0 ? 0 : 1;
        var pb = b.name.toLowerCase().indexOf(q) === 0 ? 0 : 1;
        return pa - pb || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
      });
      shown = matches.slice(0, MAX_OPTIONS);
      shown.forEach(function (c, i) {
        append(list, h('li', {
          id: opts.id + '-opt-' + i, role: 'option', 'data-id': c.id, 'aria-selected': 'false',
          class: value && value.id === c.id ? 'combo-option current' : 'combo-option',
          onmousedown: function (e) { e.preventDefault(); },
          onclick: function () { pick(c); }
        }, '#' + c.name));
      });
      if (!matches.length) {
        status.textContent = t('no_match', {q: q});
        status.hidden = false;
      } else if (matches.length > shown.length) {
        status.textContent = t('more_matches', {n: matches.length - shown.length});
        status.hidden = false;
      }
      list.hidden = shown.length === 0;
      input.setAttribute('aria-expanded', shown.length ? 'true' : 'false');
    }

    input.addEventListener('input', open);
    input.addEventListener('focus', function () { input.select(); open(); });
    input.addEventListener('click', open);
    input.addEventListener('blur', function () {
      close();
      setValue(value);
    });
    input.addEventListener('keydown', function (e) {
      var expanded = !list.hidden;
      if (e.key === 'ArrowDown') {
        e.preventDefault();
        if (!expanded) {
          open();
        }
        highlight(Math.min(active + 1, shown.length - 1));
      } else if (e.key === 'ArrowUp') {
        e.preventDefault();
        highlight(Math.max(active - 1, 0));
      } else if (e.key === 'Enter') {
        if (expanded && active >= 0 && shown[active]) {
          e.preventDefault();
          pick(shown[active]);
        } else if (expanded && shown.length === 1) {
          e.preventDefault();
          pick(shown[0]);
        }
      } else if (e.key === 'Escape') {
        if (expanded) {
          e.preventDefault();
          close();
          setValue(value);
        }
      }
    });
    setValue(value);
    return {
      el: h('div', {class: 'combo'}, input, list, status),
      input: input,
      value: function () { return value; },
      set: setValue
    };
  }

  /* ---- categories ---- */

  function loadChannels() {
    var ws = activeWorkspace();
    if (!ws) {
      return Promise.resolve();
    }
    if (state.channels && state.channelsTeam === ws.team_id) {
      return Promise.resolve();
    }
    if (state.channelsLoading) {
      return state.channelsLoading;
    }
    state.channelsError = null;
    /* Every page: the API sends at most 1000 channels per call. */
    var all = [];
    function page(cursor) {
      return api('GET', 'channels' + (cursor ? '?cursor=' + encodeURIComponent(cursor) : '')).then(function (res) {
        (res.channels || []).forEach(function (c) { all.push({id: c.id, name: c.name}); });
        return res.next_cursor ? page(res.next_cursor) : all;
      });
    }
    state.channelsLoading = page(null).then(function (channels) {
      state.channels = channels;
      state.channelsTeam = ws.team_id;
    }, function (err) {
      state.channels = null;
      state.channelsError = err.code;
    }).then(function () {
      state.channelsLoading = null;
      showChannelsState();
    });
    return state.channelsLoading;
  }

  function showChannelsState() {
    var box = $('channels-error');
    if (!box) {
      return;
    }
    if (state.channelsError && !state.expired) {
      $('channels-error-text').textContent = why(state.channelsError) === t('why_token')
        ? t('channels_reconnect') : t('channels_error', {code: state.channelsError});
      box.hidden = false;
    } else {
      box.hidden = true;
    }
    CATEGORIES.forEach(function (cat) {
      var row = document.querySelector('[data-category="' + cat.id + '"]');
      var input = $('channel-' + cat.id);
      if (!row || !input) {
        return;
      }
      var k = state.config.categories[cat.id] || {};
      /* A channel renamed in Slack shows its new name. */
      if (k.channel_id && state.channels) {
        var name = channelName(k.channel_id);
        if (name && input !== document.activeElement) {
          input.value = '#' + name;
        }
      }
      renderSuggestion(cat);
    });
  }

  function renderSuggestion(cat) {
    var slot = $('suggest-' + cat.id);
    if (!slot) {
      return;
    }
    slot.textContent = '';
    var k = state.config.categories[cat.id] || {};
    if (!cat.suggest || k.channel_id) {
      return;
    }
    var found = (state.channels || []).filter(function (c) { return c.name === cat.suggest; })[0];
    append(slot, found
      ? h('button', {type: 'button', class: 'link', id: 'use-suggested-' + cat.id,
        onclick: function () { saveChannel(cat, found); }}, t('use_suggested', {name: cat.suggest}))
      : t('suggested', {name: cat.suggest}));
  }

  function setRowState(cat, s, text) {
    var row = document.querySelector('[data-category="' + cat.id + '"]');
    var out = $('saved-' + cat.id);
    row.setAttribute('data-state', s);
    out.textContent = text || '';
  }

  function saveChannel(cat, ch) {
    var row = document.querySelector('[data-category="' + cat.id + '"]');
    var combo = row.combo;
    combo.set({id: ch.id, name: ch.name});
    setRowState(cat, 'saving', t('saving'));
    return api('PUT', 'categories/' + cat.id, {channel_id: ch.id, channel_name: ch.name}).then(function (cfg) {
      state.config = cfg;
      row.setAttribute('data-channel-id', ch.id);
      $('clear-' + cat.id).hidden = false;
      $('last-error-' + cat.id).hidden = true;
      setRowState(cat, 'saved', t('saved'));
      renderSuggestion(cat);
    }).catch(function (err) {
      var k = state.config.categories[cat.id] || {};
      combo.set(k.channel_id ? {id: k.channel_id, name: channelName(k.channel_id) || k.channel_name} : null);
      setRowState(cat, 'error', '');
      failed(err);
    });
  }

  function clearChannel(cat) {
    var row = document.querySelector('[data-category="' + cat.id + '"]');
    setRowState(cat, 'saving', t('saving'));
    return api('DELETE', 'categories/' + cat.id).then(function (cfg) {
      state.config = cfg;
      row.combo.set(null);
      row.removeAttribute('data-channel-id');
      $('clear-' + cat.id).hidden = true;
      $('result-' + cat.id).hidden = true;
      setRowState(cat, 'saved', t('saved'));
      renderSuggestion(cat);
      row.combo.input.focus();
    }).catch(function (err) {
      setRowState(cat, 'error', '');
      failed(err);
    });
  }

  function saveMention(cat, select) {
    var before = (state.config.categories[cat.id] || {}).mention || 'none';
    setRowState(cat, 'saving', t('saving'));
    return api('PUT', 'categories/' + cat.id + '/mention', {mention: select.value}).then(function (cfg) {
      state.config = cfg;
      setRowState(cat, 'saved', t('saved'));
    }).catch(function (err) {
      select.value = before;
      setRowState(cat, 'error', '');
      failed(err);
    });
  }

  function renderCategories(cfg) {
    var sec = $('categories');
    var conn = cfg.connection.state;
    if (conn !== 'connected' && conn !== 'reconnect_needed') {
      return;
    }
    sec.hidden = false;
    var rows = h('ul', {class: 'categories'});
    CATEGORIES.forEach(function (cat) {
      var k = cfg.categories[cat.id] || {};
      var name = catName(cat);
      var current = k.channel_id ? {id: k.channel_id, name: channelName(k.channel_id) || k.channel_name || k.channel_id} : null;
      var combo = combobox({
        id: 'channel-' + cat.id, label: t('channel_label', {name: name}), value: current,
        placeholder: cat.suggest ? '#' + cat.suggest : t('channel_placeholder'),
        onpick: function (ch) { saveChannel(cat, ch); }
      });
      var mention = h('select', {id: 'mention-' + cat.id, onchange: function () { saveMention(cat, mention); }},
        ['none', 'here', 'channel'].map(function (m) {
          return h('option', {value: m, selected: (k.mention || 'none') === m, text: t('mention_' + m)});
        }));
      var confirmResult = state.confirm && state.confirm[cat.id];
      var row = h('li', {class: 'category', 'data-category': cat.id, 'data-state': 'idle',
        'data-channel-id': k.channel_id || null},
      h('div', {class: 'cat-head'},
        h('span', {class: 'cat-icon', 'aria-hidden': 'true', text: cat.icon}),
        h('div', {},
          h('h3', {id: 'cat-title-' + cat.id, text: name}),
          h('p', {class: 'cat-example', text: cat.example[state.lang] || cat.example.en}))),
      h('div', {class: 'cat-controls'},
        h('div', {class: 'field'},
          h('label', {for: 'channel-' + cat.id, text: t('channel_label', {name: name})}),
          h('div', {class: 'combo-row'},
            combo.el,
            h('button', {type: 'button', id: 'clear-' + cat.id, class: 'button button-quiet', hidden: !k.channel_id,
              'aria-label': t('clear_channel_label', {name: name}),
              onclick: function () { clearChannel(cat); }}, t('clear_channel'))),
          h('p', {class: 'hint', id: 'suggest-' + cat.id})),
        h('div', {class: 'field'},
          h('label', {for: 'mention-' + cat.id, text: t('mention_label', {name: name})}),
          mention,
          h('p', {class: 'hint', id: 'advice-' + cat.id,
            text: cat.mention ? t('advice_mention') : t('advice_no_mention')}))),
      h('p', {class: 'row-status', id: 'saved-' + cat.id, role: 'status'}),
      h('p', {class: 'error', id: 'last-error-' + cat.id, hidden: !(k.channel_id && k.last_error),
        text: k.last_error ? t('last_error', {why: why(k.last_error)}) : ''}),
      h('p', {id: 'result-' + cat.id, class: confirmResult && confirmResult.ok ? 'result ok' : 'result failed',
        hidden: !confirmResult, 'data-ok': confirmResult ? String(!!confirmResult.ok) : null,
        text: confirmResult ? (confirmResult.ok ? '✓ ' + t('result_ok') : t('result_failed', {why: why(confirmResult.error)})) : ''}));
      row.combo = combo;
      mention.setAttribute('aria-describedby', 'advice-' + cat.id);
      append(rows, row);
    });
    append(sec, [
      h('h2', {id: 'categories-title', text: t('categories_title')}),
      h('p', {text: t('categories_intro')}),
      h('div', {id: 'channels-error', role: 'alert', class: 'banner banner-error', hidden: true},
        h('span', {id: 'channels-error-text'}), ' ',
        h('button', {type: 'button', id: 'channels-retry', class: 'button button-quiet', onclick: function () {
          state.channels = null;
          state.channelsError = null;
          $('channels-error').hidden = true;
          loadChannels();
        }}, t('channels_retry'))),
      rows,
      h('div', {class: 'confirm'},
        h('p', {class: 'hint', text: t('confirm_intro')}),
        h('button', {type: 'button', id: 'confirm', class: 'button', onclick: runConfirm}, t('confirm')),
        h('p', {id: 'confirm-summary', role: 'status'}))
    ]);
    loadChannels();
  }

  function runConfirm() {
    var button = $('confirm');
    var summary = $('confirm-summary');
    var mapped = CATEGORIES.filter(function (c) { return (state.config.categories[c.id] || {}).channel_id; });
    if (!mapped.length) {
      summary.textContent = t('confirm_none');
      return;
    }
    button.disabled = true;
    summary.textContent = t('confirm_running');
    CATEGORIES.forEach(function (c) { $('result-' + c.id).hidden = true; });
    api('POST', 'confirm').then(function (res) {
      state.confirm = res.results || {};
      CATEGORIES.forEach(function (c) {
        var r = state.confirm[c.id];
        var el = $('result-' + c.id);
        if (!r) {
          return;
        }
        el.hidden = false;
        el.setAttribute('data-ok', String(!!r.ok));
        el.className = r.ok ? 'result ok' : 'result failed';
        el.textContent = r.ok ? '✓ ' + t('result_ok') : t('result_failed', {why: why(r.error)});
      });
      summary.textContent = res.ok ? t('confirm_all_ok') : t('confirm_some_failed');
    }).catch(function (err) {
      summary.textContent = err.status === 401 ? '' : why(err.code);
    }).then(function () {
      button.disabled = false;
    });
  }

  /* ---- advanced filters ---- */

  function renderFilters(cfg) {
    var sec = $('filters');
    var f = cfg.filters || {};
    var locked = cfg.account.plan !== 'agency';
    var thresholds = f.amount_thresholds || {};
    var members = f.members || {};
    var hours = f.active_hours || null;
    sec.setAttribute('data-locked', String(locked));

    function field(id, labelText, control, hint) {
      control.setAttribute('aria-describedby', 'error-' + id + (hint ? ' hint-' + id : ''));
      return h('div', {class: 'field'},
        h('label', {for: id, text: labelText}), control,
        hint ? h('p', {class: 'hint', id: 'hint-' + id, text: hint}) : null,
        h('p', {class: 'field-error', id: 'error-' + id, hidden: true}));
    }

    var thresholdFields = CATEGORIES.filter(function (c) { return c.amounts; }).map(function (c) {
      return field('threshold-' + c.id, t('threshold_label', {name: catName(c)}),
        h('input', {id: 'threshold-' + c.id, type: 'text', inputmode: 'decimal', class: 'amount',
          value: thresholds[c.id] || '', placeholder: '500.00', 'data-currency': cfg.account.currency}));
    });
    var memberFields = CATEGORIES.filter(function (c) { return c.members; }).map(function (c) {
      return field('members-' + c.id, t('members_label', {name: catName(c)}),
        h('input', {id: 'members-' + c.id, type: 'text', value: (members[c.id] || []).join(', '),
          autocomplete: 'off', spellcheck: 'false'}));
    });

    var hoursOn = h('input', {id: 'hours-on', type: 'checkbox', checked: !!hours});
    var dayBoxes = DAYS.map(function (d) {
      return h('label', {class: 'day'},
        h('input', {id: 'day-' + d, type: 'checkbox', value: d,
          checked: hours ? hours.days.indexOf(d) >= 0 : ['mon', 'tue', 'wed', 'thu', 'fri'].indexOf(d) >= 0}),
        ' ' + t('day_' + d));
    });
    var start = h('input', {id: 'hours-start', type: 'time', value: hours ? hours.start : '09:00'});
    var end = h('input', {id: 'hours-end', type: 'time', value: hours && hours.end !== '24:00' ? hours.end : (hours ? '00:00' : '19:00')});
    start.setAttribute('aria-describedby', 'error-hours-start');
    end.setAttribute('aria-describedby', 'error-hours-start');

    var form = h('form', {id: 'filters-form', novalidate: true, onsubmit: function (e) {
      e.preventDefault();
      saveFilters();
    }},
    h('fieldset', {disabled: locked},
      h('legend', {class: 'visually-hidden', text: t('filters_title')}),
      h('h3', {text: t('thresholds_title')}),
      h('div', {class: 'grid'}, thresholdFields),
      h('h3', {text: t('members_title')}),
      h('p', {class: 'hint', id: 'members-hint', text: t('members_hint')}),
      h('div', {class: 'grid'}, memberFields),
      routesBlock('client', f.client_channels || {}, locked),
      routesBlock('project', f.project_channels || {}, locked),
      h('h3', {text: t('hours_title')}),
      h('div', {class: 'field'},
        h('label', {class: 'check'}, hoursOn, ' ' + t('hours_on')),
        h('p', {class: 'hint', text: t('hours_hint')}),
        h('p', {class: 'field-error', id: 'error-hours-on', hidden: true})),
      h('fieldset', {class: 'field days', id: 'days', 'aria-describedby': 'error-days'},
        h('legend', {text: t('days')}), dayBoxes,
        h('p', {class: 'field-error', id: 'error-days', hidden: true})),
      h('div', {class: 'field hours'},
        h('span', {class: 'hours-pair'}, h('label', {for: 'hours-start', text: t('hours_start')}), start),
        h('span', {class: 'hours-pair'}, h('label', {for: 'hours-end', text: t('hours_end')}), end),
        h('p', {class: 'field-error', id: 'error-hours-start', hidden: true})),
      h('p', {class: 'field-error', id: 'error-filters', hidden: true}),
      h('button', {type: 'submit', id: 'save-filters', class: 'button', disabled: locked}, t('save_filters')),
      h('p', {id: 'filters-saved', role: 'status', class: 'ok-text'})));

    append(sec, [
      h('h2', {id: 'filters-title', text: t('filters_title')}),
      locked ? h('p', {id: 'filters-locked', class: 'locked', text: '🔒 ' + t('filters_locked')}) : null,
      h('p', {class: 'hint', text: t('filters_intro', {currency: cfg.account.currency, timezone: cfg.account.timezone})}),
      form
    ]);
  }

  /* Client or project routes: rows of an id and a channel. */
  function routesBlock(kind, routes, locked) {
    var list = h('ul', {id: kind + '-routes', class: 'routes'});
    function addRow(key, channelId) {
      var n = list.children.length;
      var keyId = kind + '-route-key-' + n;
      var chanId = kind + '-route-channel-' + n;
      var keyInput = h('input', {id: keyId, type: 'text', class: 'route-key', value: key || '',
        autocomplete: 'off', spellcheck: 'false', placeholder: kind === 'client' ? 'cli_9' : 'prj_5'});
      var combo = combobox({id: chanId, label: t('route_channel_label_new'), extraClass: 'route-channel',
        value: channelId ? {id: channelId, name: channelName(channelId) || channelId} : null});
      var row = h('li', {class: 'route-row'},
        h('div', {class: 'field'}, h('label', {for: keyId, text: t(kind + '_label')}), keyInput,
          h('p', {class: 'field-error', id: 'error-' + keyId, hidden: true})),
        h('div', {class: 'field'}, h('label', {for: chanId, text: t('route_channel_label_new')}), combo.el,
          h('p', {class: 'field-error', id: 'error-' + chanId, hidden: true})),
        h('button', {type: 'button', class: 'button button-quiet remove-route',
          'aria-label': t('remove_route_label', {key: key || t(kind + '_label')}),
          onclick: function () { row.remove(); }}, t('remove_route')));
      keyInput.setAttribute('aria-describedby', 'error-' + keyId);
      combo.input.setAttribute('aria-describedby', 'error-' + chanId);
      row.combo = combo;
      row.keyInput = keyInput;
      append(list, row);
      return row;
    }
    Object.keys(routes).sort().forEach(function (k) { addRow(k, routes[k]); });
    return h('div', {class: 'routes-block'},
      h('h3', {text: t(kind === 'client' ? 'clients_title' : 'projects_title')}),
      h('p', {class: 'hint', text: t('routes_hint')}),
      list,
      h('p', {class: 'field-error', id: 'error-' + kind + '-routes', hidden: true}),
      h('button', {type: 'button', id: 'add-' + kind + '-route', class: 'button button-quiet', disabled: locked,
        onclick: function () { addRow('', null).keyInput.focus(); }}, t('add_' + kind + '_route')));
  }

  function clearFieldErrors() {
    Array.prototype.forEach.call(document.querySelectorAll('#filters .field-error'), function (e) {
      e.hidden = true;
      e.textContent = '';
    });
    Array.prototype.forEach.call(document.querySelectorAll('#filters [aria-invalid]'), function (e) {
      e.removeAttribute('aria-invalid');
    });
    $('filters-saved').textContent = '';
  }

  /* Shows MESSAGE under the control with id ID (its .field-error). */
  function fieldError(id, message, errorId) {
    var control = $(id);
    var box = $(errorId || 'error-' + id);
    if (control) {
      control.setAttribute('aria-invalid', 'true');
    }
    if (box) {
      box.textContent = message;
      box.hidden = false;
    }
    return control;
  }

  function collectRoutes(kind, out, errors) {
    Array.prototype.forEach.call(document.querySelectorAll('#' + kind + '-routes .route-row'), function (row) {
      var key = row.keyInput.value.trim();
      var ch = row.combo.value();
      if (!key && !ch) {
        return;
      }
      if (!ID_RE.test(key)) {
        errors.push([row.keyInput.id, t('err_id')]);
      } else if (!ch) {
        errors.push([row.combo.input.id, t('err_route_channel')]);
      } else {
        out[key] = ch.id;
      }
    });
  }

  /* The filters document from the form; ERRORS gets [control id, message]. */
  function collectFilters(errors) {
    var doc = {amount_thresholds: {}, client_channels: {}, project_channels: {}, members: {}, active_hours: null};
    CATEGORIES.forEach(function (c) {
      var el = $('threshold-' + c.id);
      var v = el ? el.value.trim().replace(',', '.') : '';
      if (el && v) {
        if (AMOUNT_RE.test(v)) {
          doc.amount_thresholds[c.id] = v;
        } else {
          errors.push([el.id, t('err_amount')]);
        }
      }
      var m = $('members-' + c.id);
      if (m && m.value.trim()) {
        var ids = m.value.split(/[\s,;]+/).filter(Boolean);
        if (ids.every(function (x) { return ID_RE.test(x); })) {
          doc.members[c.id] = ids;
        } else {
          errors.push([m.id, t('err_members')]);
        }
      }
    });
    collectRoutes('client', doc.client_channels, errors);
    collectRoutes('project', doc.project_channels, errors);
    if ($('hours-on').checked) {
      var days = DAYS.filter(function (d) { return $('day-' + d).checked; });
      var start = $('hours-start').value;
      var end = $('hours-end').value;
      if (end === '00:00') {
        end = '24:00';
      }
      if (!days.length) {
        errors.push(['day-mon', t('err_days'), 'error-days']);
      } else if (!start || !end || start === end) {
        errors.push(['hours-start', t('err_hours'), 'error-hours-start']);
      } else {
        doc.active_hours = {days: days, start: start, end: end};
      }
    }
    return doc;
  }

  /* The control a server-side refusal names (the API's "field"). */
  function controlOfField(field) {
    var m;
    if ((m = /^amount_thresholds\.(\w+)$/.exec(field)) && $('threshold-' + m[1])) {
      return ['threshold-' + m[1]];
    }
    if ((m = /^members\.(\w+)$/.exec(field)) && $('members-' + m[1])) {
      return ['members-' + m[1]];
    }
    if (field === 'active_hours.days') {
      return ['day-mon', 'error-days'];
    }
    if (/^active_hours/.test(field)) {
      return ['hours-start', 'error-hours-start'];
    }
    if ((m = /^(client|project)_channels/.exec(field))) {
      return [m[1] + '-routes', 'error-' + m[1] + '-routes'];
    }
    return ['filters-form', 'error-filters'];
  }

  function saveFilters() {
    var errors = [];
    var button = $('save-filters');
    clearFieldErrors();
    var doc = collectFilters(errors);
    if (errors.length) {
      errors.forEach(function (e) { fieldError(e[0], e[1], e[2]); });
      var first = $(errors[0][0]);
      if (first) {
        first.focus();
      }
      notice('error', t('filters_invalid'));
      return;
    }
    button.disabled = true;
    api('PUT', 'filters', doc).then(function (res) {
      state.config.filters = res.filters;
      $('filters-saved').textContent = t('filters_saved');
      notice('ok', '');
    }).catch(function (err) {
      if (err.status === 422) {
        var target = controlOfField(err.field || '');
        var control = fieldError(target[0], err.message, target[1]);
        if (control && control.focus) {
          control.focus();
        }
        notice('error', t('filters_invalid'));
      } else {
        failed(err);
      }
    }).then(function () {
      button.disabled = state.config.account.plan !== 'agency';
    });
  }

  /* ---- disconnect ---- */

  function renderDanger(cfg) {
    var sec = $('danger');
    if (!(cfg.workspaces || []).length) {
      return;
    }
    sec.hidden = false;
    var purge = Math.floor(Date.now() / 1000) + (cfg.reconnect_grace_seconds || 0);
    var dialog = h('dialog', {id: 'disconnect-dialog', 'aria-labelledby': 'dialog-title', 'aria-describedby': 'dialog-text'},
      h('h2', {id: 'dialog-title', text: t('dialog_title')}),
      h('p', {id: 'dialog-text', text: t('dialog_text', {date: formatDate(purge)})}),
      h('div', {class: 'dialog-buttons'},
        h('button', {type: 'button', id: 'disconnect-cancel', class: 'button button-quiet',
          onclick: function () { dialog.close(); $('disconnect').focus(); }}, t('dialog_cancel')),
        h('button', {type: 'button', id: 'disconnect-confirm', class: 'button button-danger', onclick: function () {
          var b = $('disconnect-confirm');
          b.disabled = true;
          api('POST', 'disconnect').then(function () {
            dialog.close();
            state.channels = null;
            state.confirm = null;
            state.installed = null;
            state.notice = ['ok', t('disconnected')];
            return reload();
          }).catch(function (err) {
            b.disabled = false;
            dialog.close();
            failed(err);
          });
        }}, t('dialog_confirm'))));
    append(sec, [
      h('h2', {id: 'danger-title', text: t('disconnect_title')}),
      h('p', {text: t('disconnect_intro')}),
      h('button', {type: 'button', id: 'disconnect', class: 'button button-danger', onclick: function () {
        dialog.showModal();
        $('disconnect-cancel').focus();
      }}, t('disconnect')),
      dialog
    ]);
  }

  /* ---- start ---- */

  function reload() {
    return api('GET', 'config').then(function (cfg) {
      state.config = cfg;
      state.lang = STRINGS[cfg.account.locale] ? cfg.account.locale : 'en';
      render();
    });
  }

  function start() {
    var params = new URLSearchParams(location.search);
    var connected = params.get('connected');
    Promise.all([api('GET', 'session'), api('GET', 'config')]).then(function (res) {
      state.csrf = res[0].csrf_token;
      state.config = res[1];
      state.lang = STRINGS[res[1].account.locale] ? res[1].account.locale : 'en';
      if (connected) {
        var w = (res[1].workspaces || []).filter(function (x) { return x.team_id === connected; })[0];
        state.installed = w ? w.team_name : null;
        /* A reload of the page does not announce the install again. */
        history.replaceState(null, '', location.pathname);
      }
      render();
    }).catch(function (err) {
      app.textContent = '';
      append(app, h('div', {id: 'session-expired', role: 'alert', tabindex: '-1', class: 'banner banner-error'}));
      if (err.status === 401 || state.expired) {
        sessionExpired();
      } else {
        $('session-expired').textContent = err.status === 0 ? t('network_error') : t('store_error');
      }
      body.setAttribute('data-ready', 'true');
    });
  }

  start();
}());
