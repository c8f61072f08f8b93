import { toEpochSeconds, type EmulatorContext } from './context';
import { invalidRequest } from './errors';
import { EVENT_CONFIGURATION_TYPES, isEventConfigurationType } from './events';
import { optionalBoolean, optionalObject } from './input';
import type { OperationInput, OperationOutput, Route } from './router';

/** Which registry (and other) events the account publishes; all off in a new account, as in AWS. */
export function eventConfigurationRoutes(ctx: EmulatorContext): Route[] {
  return [
    {
      operation: 'UpdateEventConfigurations',
      method: 'PATCH',
      path: '/event-configurations',
      handle: (i) => updateEventConfigurations(ctx, i),
    },
    {
      operation: 'DescribeEventConfigurations',
      method: 'GET',
      path: '/event-configurations',
      handle: () => describeEventConfigurations(ctx),
    },
  ];
}

function updateEventConfigurations(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const configurations = optionalObject(input.body, 'eventConfigurations') ?? {};
  const updates: Array<[(typeof EVENT_CONFIGURATION_TYPES)[number], boolean]> = [];
  // Validate everything before applying anything, so a bad key leaves the configuration untouched.
  for (const [type, value] of Object.entries(configurations)) {
    if (!isEventConfigurationType(type)) throw invalidRequest(`Unknown event type ${type}`);
    if (typeof value !== 'object' || value === null) throw invalidRequest(`eventConfigurations.${type} must be an object`);
    const enabled = optionalBoolean(value as Readonly<Record<string, unknown>>, 'Enabled');
    if (enabled !== undefined) updates.push([type, enabled]);
  }
  for (const [type, enabled] of updates) ctx.events.setEnabled(type, enabled);
}

function describeEventConfigurations(ctx: EmulatorContext): OperationOutput {
  const eventConfigurations: Record<string, { Enabled: boolean }> = {};
  for (const type of EVENT_CONFIGURATION_TYPES) eventConfigurations[type] = { Enabled: ctx.events.isEnabled(type) };
  const dates = ctx.events.configurationDates();
  return {
    eventConfigurations,
    creationDate: toEpochSeconds(dates.createdAt),
    lastModifiedDate: toEpochSeconds(dates.modifiedAt),
  };
}
