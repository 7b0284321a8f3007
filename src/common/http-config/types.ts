// The HTTP client settings of prometheus.yml and alertmanager.yml (prometheus/common's
// HTTPClientConfig): TLS, authorization, basic auth, oauth2, proxy, headers, redirects.

export interface ProxyConfig {
  proxyUrl?: string;
  /** Hosts, domains, IPs and CIDRs that bypass proxy_url. */
  noProxy?: string;
  /** HTTP_PROXY / HTTPS_PROXY / NO_PROXY from the environment instead of proxy_url. */
  proxyFromEnvironment: boolean;
  /** Headers sent to the proxy with CONNECT requests. */
  proxyConnectHeader: Record<string, string[]>;
}

export interface TlsConfig {
  ca?: string;
  caFile?: string;
  cert?: string;
  certFile?: string;
  key?: string;
  keyFile?: string;
  serverName?: string;
  insecureSkipVerify: boolean;
  minVersion?: string;
  maxVersion?: string;
}

/** oauth2: the client-credentials flow; the token is sent as a Bearer authorization. */
export interface OAuth2Config extends ProxyConfig {
  clientId: string;
  clientSecret?: string;
  clientSecretFile?: string;
  scopes: string[];
  tokenUrl: string;
  endpointParams: Record<string, string>;
  /** For the token endpoint. */
  tls: TlsConfig;
}

export interface HttpClientConfig extends ProxyConfig {
  basicAuth?: { username: string; usernameFile?: string; password?: string; passwordFile?: string };
  authorization?: { type: string; credentials?: string; credentialsFile?: string };
  oauth2?: OAuth2Config;
  tls: TlsConfig;
  followRedirects: boolean;
  enableHttp2: boolean;
  httpHeaders: Record<string, { values: string[]; secrets: string[]; files: string[] }>;
}
