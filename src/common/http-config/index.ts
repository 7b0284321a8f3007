// The HTTP client settings shared by scrapes, service discovery, the notifier and the
// Alertmanager's receivers (as prometheus/common's config package is for Prometheus and
// Alertmanager alike): their types, the one http_config reader, and the clients made from them.
export type { HttpClientConfig, OAuth2Config, ProxyConfig, TlsConfig } from './types.js';
export type { ConfigNode, ConfigReader } from './yaml.js';
export { readProxyConfig } from './proxy-config.js';
export { httpDispatcher, joinHeaderValues, makeDispatcher, proxyChoice, tlsVersion } from './dispatcher.js';
export type { PemTls, ProxyChoice } from './dispatcher.js';
export { excludedByNoProxy, proxyFor } from './proxy.js';
export type { ProxySettings } from './proxy.js';
export { authorizationHeader, httpOptions, readSecret, requestHeaders, userAgent } from './client-options.js';
export type { ClientRequestOptions, TlsOptions } from './client-options.js';
export { OAuth2TokenSource } from './oauth2.js';
export { DEFAULT_HTTP, httpFetch, httpHeaders } from './fetch.js';
export type { HttpClientOptions } from './fetch.js';
export { ALERTMANAGER_HTTP_FIELDS, HTTP_FIELDS, hasTlsConfig, readHttpClientConfig, readTlsConfig } from './reader.js';
export type { FileKind } from './reader.js';
