export { Template, TemplateError, goString, sprintf } from './template.js';
export type { TemplateFunc } from './template.js';
export { prometheusFuncs, humanize, humanize1024, humanizeDuration, goG, expandAlertTemplate, checkAlertTemplate } from './prometheus.js';
export type { TemplateContext, AlertTemplateData, QueryResultSample } from './prometheus.js';
