import { registryEventBody } from '../../../lambda/capture/dead-letters';
import { checkEventTime, MAX_EVENT_CLOCK_SKEW_MS, parseRegistryEvent } from '../../../lambda/capture/registry-events';
import { MalformedInput } from '../../../lambda/shared/errors';
import { thingEvent } from './registry-event-builders';

const errorAction = (payload: string, topic = '$aws/events/thing/T/created') =>
  JSON.stringify({ ruleName: 'r', topic, base64OriginalPayload: Buffer.from(payload).toString('base64'), failures: [] });

describe('registryEventBody: every capture dead-letter shape back to the rule message', () => {
  test('a rule message (or anything else) is returned as it is', () => {
    const body = JSON.stringify(thingEvent('T', 'CREATED'));
    expect(registryEventBody(body)).toBe(body);
    expect(registryEventBody('not json')).toBe('not json');
    expect(registryEventBody('[1,2]')).toBe('[1,2]');
  });

  test("the rule error action's payload gets the topic beside it; an attribute named __proto__ survives", () => {
    const { topic, ...payload } = thingEvent('T', 'CREATED');
    const raw = JSON.stringify(payload).replace('"attributes":{', '"attributes":{"__proto__":"kept",');
    const body = registryEventBody(errorAction(raw, String(topic)));
    expect(JSON.parse(body)).toMatchObject({ topic, thingName: 'T' });
    const event = parseRegistryEvent(body);
    expect(event.family === 'thing' && Object.entries(event.attributes)).toContainEqual(['__proto__', 'kept']);
  });

  test('a payload with its own topic keeps it', () => {
    const event = thingEvent('T', 'CREATED');
    expect(JSON.parse(registryEventBody(errorAction(JSON.stringify(event), '$aws/events/thing/Other/created')))).toEqual(event);
  });

  test('a handler dead letter yields its body, however deep', () => {
    const body = JSON.stringify(thingEvent('T', 'CREATED'));
    const letter = (b: string) => JSON.stringify({ reason: 'MalformedEvent', error: 'x', body: b, messageId: 'm' });
    expect(registryEventBody(letter(body))).toBe(body);
    expect(registryEventBody(letter(letter(body)))).toBe(body);
    expect(registryEventBody(letter(errorAction(JSON.stringify(thingEvent('T', 'CREATED', { eventId: 'e1' })))))).toMatch(/"eventId":"e1"/);
  });

  test('an undecodable error-action payload is malformed', () => {
    expect(() => registryEventBody(errorAction('not json'))).toThrow(new MalformedInput('base64OriginalPayload is not a base64-encoded JSON object'));
    expect(() => registryEventBody(errorAction('"a string"'))).toThrow(MalformedInput);
  });
});

describe('checkEventTime', () => {
  const now = 1_700_000_000_000;
  test('accepts the past and up to the allowed clock skew ahead', () => {
    expect(MAX_EVENT_CLOCK_SKEW_MS).toBe(300_000);
    expect(() => checkEventTime({ eventTime: 0 }, now)).not.toThrow();
    expect(() => checkEventTime({ eventTime: now + MAX_EVENT_CLOCK_SKEW_MS }, now)).not.toThrow();
  });

  test('refuses beyond it, naming the timestamp and the limit', () => {
    expect(() => checkEventTime({ eventTime: now + MAX_EVENT_CLOCK_SKEW_MS + 1 }, now)).toThrow(MalformedInput);
    expect(() => checkEventTime({ eventTime: 9e14 }, now)).toThrow(
      'timestamp 900000000000000 (+030489-11-11T16:00:00.000Z) is later than now + the allowed clock skew of 300 s (2023-11-14T22:18:20.000Z)',
    );
  });
});
