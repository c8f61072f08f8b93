/**
 * AWS IoT's error shapes. The SDK picks the exception class from the `x-amzn-ErrorType` header and
 * copies body fields onto it, so a handler only has to throw one of these.
 */
export class IotServiceError extends Error {
  constructor(
    readonly code: string,
    readonly statusCode: number,
    message: string,
    /** Extra members of the exception shape (e.g. `resourceId` on ResourceAlreadyExistsException). */
    readonly fields: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = code;
  }
}

export function resourceNotFound(message: string): IotServiceError {
  return new IotServiceError('ResourceNotFoundException', 404, message);
}

export function invalidRequest(message: string): IotServiceError {
  return new IotServiceError('InvalidRequestException', 400, message);
}

export function resourceAlreadyExists(message: string, resourceId: string, resourceArn: string): IotServiceError {
  return new IotServiceError('ResourceAlreadyExistsException', 409, message, { resourceId, resourceArn });
}

export function versionConflict(message: string): IotServiceError {
  return new IotServiceError('VersionConflictException', 409, message);
}

/** The model says 400, but the IoT control plane answers throttled calls with 429. */
export function throttling(operation: string): IotServiceError {
  return new IotServiceError('ThrottlingException', 429, `Rate exceeded for ${operation}`);
}

/** The control plane failing on its side (an outage): the SDK makes it a ServiceUnavailableException with $fault 'server'. */
export function serviceUnavailable(operation: string): IotServiceError {
  return new IotServiceError('ServiceUnavailableException', 503, `Service unavailable (${operation})`);
}

/** Not an AWS error: makes an operation the emulator lacks impossible to miss in a test failure. */
export function unknownOperation(method: string, path: string): IotServiceError {
  return new IotServiceError(
    'UnknownOperationException',
    404,
    `IoT emulator: no operation for ${method} ${path} (not emulated yet — add it under test/support/iot-emulator/)`,
  );
}
