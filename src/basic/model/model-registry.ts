import { Registry } from '../registry';
import type { ModelClass } from './base-model';

/** Model classes by name: used by `load`, configs and the leaderboard. Register your own with `models.register`. */
export const models = new Registry<ModelClass>('model');
