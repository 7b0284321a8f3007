// The keys of alertmanager.yml's global section and the pairs of them that exclude each other.

export const GLOBAL_KEYS = [
  'resolve_timeout', 'http_config', 'smtp_from', 'smtp_hello', 'smtp_smarthost', 'smtp_auth_username', 'smtp_auth_password', 'smtp_auth_password_file', 'smtp_auth_secret', 'smtp_auth_secret_file',
  'smtp_auth_identity', 'smtp_require_tls', 'smtp_tls_config', 'slack_api_url', 'slack_api_url_file', 'slack_app_token', 'slack_app_token_file', 'slack_app_url', 'victorops_api_key', 'victorops_api_key_file',
  'victorops_api_url', 'pagerduty_url', 'opsgenie_api_key', 'opsgenie_api_key_file', 'opsgenie_api_url', 'wechat_api_url', 'wechat_api_secret', 'wechat_api_secret_file', 'wechat_api_corp_id',
  'telegram_api_url', 'telegram_bot_token', 'telegram_bot_token_file', 'webex_api_url', 'rocketchat_api_url', 'rocketchat_token', 'rocketchat_token_file', 'rocketchat_token_id', 'rocketchat_token_id_file',
  'mattermost_webhook_url', 'mattermost_webhook_url_file', 'jira_api_url',
];

/** Pairs of global settings that may not both be set (inline and from a file, ...). */
export const EXCLUSIVE_GLOBALS: [string, string, string][] = [
  ['smtp_auth_password', 'smtp_auth_password_file', 'at most one of smtp_auth_password & smtp_auth_password_file must be configured'],
  ['victorops_api_key', 'victorops_api_key_file', 'at most one of victorops_api_key & victorops_api_key_file must be configured'],
  ['telegram_bot_token', 'telegram_bot_token_file', 'at most one of telegram_bot_token & telegram_bot_token_file must be configured'],
  ['opsgenie_api_key', 'opsgenie_api_key_file', 'at most one of opsgenie_api_key & opsgenie_api_key_file must be configured'],
  ['slack_api_url', 'slack_api_url_file', 'at most one of slack_api_url & slack_api_url_file must be configured'],
  ['slack_app_token', 'slack_app_token_file', 'at most one of slack_app_token & slack_app_token_file must be configured'],
  ['rocketchat_token', 'rocketchat_token_file', 'at most one of rocketchat_token & rocketchat_token_file must be configured'],
  ['rocketchat_token_id', 'rocketchat_token_id_file', 'at most one of rocketchat_token_id & rocketchat_token_id_file must be configured'],
  ['wechat_api_secret', 'wechat_api_secret_file', 'at most one of wechat_api_secret & wechat_api_secret_file must be configured'],
  ['mattermost_webhook_url', 'mattermost_webhook_url_file', 'at most one of mattermost_webhook_url & mattermost_webhook_url_file must be configured'],
];
