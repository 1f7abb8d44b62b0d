import { defineControl } from '../engine/control.js';
import { ALERT, objectRule } from './_lib.js';

/** Kubernetes CronJob: every CronJob is listed (MITRE persistence technique, informational). */
export default defineControl({
  id: 'C-0026',
  category: 'Workload',
  rules: [objectRule('rule-deny-cronjobs', ['CronJob'], () => [ALERT])],
});
