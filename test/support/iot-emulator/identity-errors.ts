import { IotServiceError } from './errors';

/** Error shapes of the certificate, policy and provisioning APIs (status codes from the SDK's model). */

export function certificateState(message: string): IotServiceError {
  return new IotServiceError('CertificateStateException', 406, message);
}

export function certificateValidation(message: string): IotServiceError {
  return new IotServiceError('CertificateValidationException', 400, message);
}

export function deleteConflict(message: string): IotServiceError {
  return new IotServiceError('DeleteConflictException', 409, message);
}

export function versionsLimitExceeded(message: string): IotServiceError {
  return new IotServiceError('VersionsLimitExceededException', 409, message);
}

export function malformedPolicy(message: string): IotServiceError {
  return new IotServiceError('MalformedPolicyException', 400, message);
}

export function limitExceeded(message: string): IotServiceError {
  return new IotServiceError('LimitExceededException', 410, message);
}

export function conflictingResourceUpdate(message: string): IotServiceError {
  return new IotServiceError('ConflictingResourceUpdateException', 409, message);
}
