/* The settings page's script (served as <settings>/assets/settings.js). */
'use strict';
