// The one error type of the template engine: every parse and execution failure is a TemplateError.

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}
