// The range functions the engine hands to the native kernels (src/storage), as opposed to the
// instant functions evaluated in JavaScript. Evaluation knowledge: kept out of parser/.
/** Range functions evaluated by the native kernels (name -> kernel name). */
export const KERNEL_FUNCTIONS = new Set([
  'rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'changes', 'resets', 'predict_linear',
  'avg_over_time', 'min_over_time', 'max_over_time', 'sum_over_time', 'count_over_time', 'last_over_time', 'first_over_time',
  'present_over_time', 'stddev_over_time', 'stdvar_over_time', 'quantile_over_time', 'mad_over_time',
  'double_exponential_smoothing', 'holt_winters', 'ts_of_min_over_time', 'ts_of_max_over_time', 'ts_of_first_over_time',
  'ts_of_last_over_time', 'absent_over_time',
]);

/**
 * The range functions each extended range selector modifier (`x[5m] anchored`, `x[5m] smoothed`)
 * works with; the native kernels compute only these.
 */
export const RANGE_MODIFIER_FUNCTIONS: Readonly<Record<'anchored' | 'smoothed', readonly string[]>> = {
  anchored: ['changes', 'delta', 'increase', 'rate', 'resets'],
  smoothed: ['delta', 'increase', 'rate'],
};
