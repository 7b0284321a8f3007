// Which exposition format a scrape body's content type names, without loading any parser.

export function isOpenMetrics(contentType: string): boolean {
  return /^\s*application\/openmetrics-text/i.test(contentType);
}

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.google.protobuf';

export function isProtobuf(contentType: string): boolean {
  return /^\s*application\/vnd\.google\.protobuf/i.test(contentType);
}
