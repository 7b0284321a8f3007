export { Template, TemplateError, goString, sprintf, goStruct, stringMap, anyMap, withMethods } from './template.js';
export type { TemplateFunc, TemplateMethod } from './template.js';
export { prometheusFuncs, humanize, humanize1024, humanizeDuration, goG, expandAlertTemplate, checkAlertTemplate } from './prometheus.js';
export type { TemplateContext, AlertTemplateData, QueryResultSample } from './prometheus.js';
