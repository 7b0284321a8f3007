// The annotations (warnings and infos) of native-histogram evaluation, worded as Prometheus
// words them (the test scripts compare the texts exactly).

/** Where annotations go; texts as Prometheus words them. */
export interface Annotate {
  warn(text: string): void;
  info(text: string): void;
}

export const mixWarning = (name: string): string => `PromQL warning: encountered a mix of histograms and floats for metric name ${JSON.stringify(name)}`;
export const notCounterWarning = (name: string): string => `PromQL warning: this native histogram metric is not a counter: ${JSON.stringify(name)}`;
export const notGaugeWarning = (name: string): string => `PromQL warning: this native histogram metric is not a gauge: ${JSON.stringify(name)}`;
export const mixedSchemasWarning = (name: string): string => `PromQL warning: vector contains a mix of histograms with exponential and custom buckets schemas for metric name ${JSON.stringify(name)}`;
export const reconciledInfo = (op: string): string => `PromQL info: mismatched custom buckets were reconciled during ${op}`;
export const collisionWarning = (op: string): string => `PromQL warning: conflicting counter resets during histogram ${op}`;
