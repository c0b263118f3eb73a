import type { RuleMeta } from '../findings';
import type { Rule } from './common';
import { DJC101 } from './DJC101';
import { DJC102 } from './DJC102';
import { DJC103 } from './DJC103';
import { DJC104 } from './DJC104';
import { DJC105 } from './DJC105';
import { DJC106 } from './DJC106';
import { DJC107 } from './DJC107';
import { DJC108 } from './DJC108';

export const allRules: Rule[] = [DJC101, DJC102, DJC103, DJC104, DJC105, DJC106, DJC107, DJC108];
export const ruleMetas: RuleMeta[] = allRules.map((r) => r.meta);
export type { Rule };
