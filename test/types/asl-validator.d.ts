/** asl-validator 4 ships JavaScript only: the programmatic API as `dist/src/validator.js` defines it. */
declare module 'asl-validator' {
  interface ValidationOptions {
    /** Check JSONPath and intrinsic-function expressions. @default true */
    readonly checkPaths?: boolean;
    /** Check that Task `Resource` values are ARNs. @default true */
    readonly checkArn?: boolean;
  }
  interface ValidationError {
    readonly 'Error code': string;
    readonly Message: string;
  }
  interface ValidationResult {
    readonly isValid: boolean;
    readonly errors: readonly ValidationError[];
    /** Every error as `CODE: message`, joined by `separator` (default a new line). */
    errorsText(separator?: string): string;
  }
  /** Validates an Amazon States Language definition (it fills in each state's default QueryLanguage). */
  function validator(definition: object, options?: ValidationOptions): ValidationResult;
  export = validator;
}
