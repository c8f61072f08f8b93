import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { METRIC_NAMES } from '../../lambda/contract';

/**
 * A metric the handlers emit (Embedded Metric Format): the dimensionless series unless `props` narrows it
 * with `dimensionsMap`, so alarms can combine every handler's values.
 */
export function handlerMetric(
  namespace: string,
  metricName: (typeof METRIC_NAMES)[keyof typeof METRIC_NAMES],
  statistic: string,
  props?: cloudwatch.MetricOptions,
): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace, metricName, statistic, period: Duration.minutes(1), ...props });
}

/** Messages waiting in a dead-letter queue (maximum over a minute): any value above zero needs attention. */
export function deadLetterDepth(queue: sqs.IQueue, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
  return queue.metricApproximateNumberOfMessagesVisible({ statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(1), ...props });
}
