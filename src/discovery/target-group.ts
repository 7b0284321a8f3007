// What every discovery mechanism produces: groups of target addresses with shared labels.
// It belongs to discovery (the producer); scrape and the notifier consume it, as in Prometheus
// where scrape imports discovery/targetgroup and not the reverse.
import type { Labels } from '../model/labels.js';

export interface TargetGroup {
  targets: string[];
  labels: Labels;
  /** Where the group came from (`static`, a file path), for the service-discovery page. */
  source: string;
}
