export { parseConfig, loadConfigFile, defaultConfigYaml, parseBase2Bytes, ConfigError, SCRAPE_PROTOCOLS } from './config.js';
export type { Config, SdConfigLists, ScrapeConfig, GlobalConfig, AlertmanagerConfig, HttpClientConfig, StaticConfig, FileSdConfig, DnsSdConfig, HttpSdConfig, OAuth2Config, TlsConfig } from './config.js';
export { relabel, readRelabelConfig, RELABEL_ACTIONS } from './relabel.js';
export type { RelabelConfig, RelabelAction } from './relabel.js';
export type { KubernetesSdConfig, KubernetesRole, KubernetesSelector } from './kubernetes-sd.js';
export { SD_SPECS, GENERIC_SD_KEYS } from './sd-specs.js';
export type { GenericSdConfig, SdValue } from './sd-specs.js';
export { redactSecrets } from './redact.js';
