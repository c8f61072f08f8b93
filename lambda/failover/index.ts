/**
 * The failover bundle: `notifyFailover` (SNS from the health-check alarms → failover notice in both
 * regions) and `regionSwitchStep` (the ARC Region switch plan's steps). Export names: HANDLERS.notifyFailover
 * and HANDLERS.regionSwitchStep in lambda/contract/handlers.ts.
 */
import type { SNSEvent } from 'aws-lambda';
import {
  cloudWatchClient,
  dataPlaneClients,
  HandlerEnvironment,
  modeParameterWriter,
  readFailoverTargets,
  readActiveRegionRecord,
  readNotifierConfig,
  readReadinessSource,
  readThresholds,
  route53Client,
} from './config';
import { applyManualMode, upsertActiveRegion } from './manual-mode';
import { createNotifier } from './notifier';
import { publishNotice } from './notice';
import { readReadiness } from './readiness';
import { createRegionSwitchStep } from './region-switch-step';

const env = new HandlerEnvironment(process.env, 'failover');
const region = env.required('AWS_REGION');
const log = (message: string): void => console.log(message);
const dataPlane = dataPlaneClients();

// Each entry point reads only its own settings, on first use: the two run in different functions.
let notifier: ((event: SNSEvent) => Promise<unknown>) | undefined;
export const notifyFailover = (event: SNSEvent): Promise<unknown> => {
  if (!notifier) {
    const config = readNotifierConfig(env);
    const record = readActiveRegionRecord(env);
    const route53 = route53Client();
    notifier = createNotifier(config, {
      clientFor: dataPlane,
      now: () => new Date(),
      log,
      ...(record ? { recordActiveRegion: (activeRegion: string) => upsertActiveRegion(activeRegion, record, route53) } : {}),
    });
  }
  return notifier(event);
};

let step: ReturnType<typeof createRegionSwitchStep> | undefined;
export const regionSwitchStep = (event: Parameters<ReturnType<typeof createRegionSwitchStep>>[0]): Promise<unknown> => {
  if (!step) {
    const targets = readFailoverTargets(env);
    const noticeTargets = readNotifierConfig(env).noticeTargets;
    const source = readReadinessSource(env, region);
    const cloudwatch = cloudWatchClient(region, source.roleArn);
    const route53 = route53Client();
    const putModeParameter = modeParameterWriter();
    step = createRegionSwitchStep(
      { region, targets, noticeTargets, thresholds: readThresholds(env) },
      {
        readReadiness: () => readReadiness(cloudwatch, source, new Date()),
        applyManualMode: (mode) => applyManualMode(mode, targets, { route53, putModeParameter, log }),
        publishNotice: (notice) => publishNotice(notice, noticeTargets, dataPlane, log),
        now: () => new Date(),
        log,
      },
    );
  }
  return step(event);
};
