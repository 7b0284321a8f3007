// Request size limits of our HTTP servers, matched to the Go servers they stand in for.

/**
 * Go's net/http reads up to DefaultMaxHeaderBytes (1 MiB) plus 4096 bytes of slack for the request
 * line and headers; Node's default (16 KiB) would answer 431 to GET queries Prometheus, Alertmanager
 * and node_exporter serve (long PromQL in a query string).
 */
export const GO_MAX_HEADER_BYTES = (1 << 20) + 4096;
