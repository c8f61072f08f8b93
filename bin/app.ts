#!/usr/bin/env node
import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DrTopology, IotDrDeployment } from '../lib';

/**
 * The example DR platform: every stack of the topology in cdk.json (context 'iot-dr:topology'), or of
 * `DrTopology.DEFAULT`'s placeholder accounts when none is configured, checked by cdk-nag's AwsSolutions
 * pack (synthesis fails on any unacknowledged finding).
 */
export function createExampleApp(props?: AppProps): App {
  const app = new App(props);
  new IotDrDeployment(app, 'IotDr', { topology: DrTopology.fromContext(app) });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

if (require.main === module) {
  createExampleApp();
}
