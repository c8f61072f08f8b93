import type { Stack } from 'aws-cdk-lib';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { FailoverRouting, type FailoverRoutingProps } from '../../../lib';
import { PRIMARY, SECONDARY } from '../helpers';

export const PRIMARY_AGGREGATOR = 'p1abc.execute-api.us-west-2.amazonaws.com';
export const SECONDARY_AGGREGATOR = 's2def.execute-api.us-east-1.amazonaws.com';
export const PRIMARY_IOT = 'a1b2c3-ats.iot.us-west-2.amazonaws.com';
export const SECONDARY_IOT = 'a1b2c3-ats.iot.us-east-1.amazonaws.com';

/** A FailoverRouting in `stack` over a zone for example.com, with `overrides`. */
export function routingIn(stack: Stack, overrides: Partial<FailoverRoutingProps> = {}, id = 'Routing'): FailoverRouting {
  const hostedZone = route53.HostedZone.fromHostedZoneAttributes(stack, `${id}Zone`, { hostedZoneId: 'Z0123456789ABC', zoneName: 'example.com' });
  return new FailoverRouting(stack, id, {
    hostedZone,
    primary: { region: PRIMARY, aggregatorDomainName: PRIMARY_AGGREGATOR, iotDataEndpoint: PRIMARY_IOT, apiDomainName: 'd-p.execute-api.us-west-2.amazonaws.com' },
    secondary: { region: SECONDARY, aggregatorDomainName: SECONDARY_AGGREGATOR, iotDataEndpoint: SECONDARY_IOT, apiDomainName: 'd-s.execute-api.us-east-1.amazonaws.com' },
    ...overrides,
  });
}
