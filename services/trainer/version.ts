import { version } from '../../package.json';

/** Written into manifests and TrainingCompleted.trainerVersion, for reproducibility. */
export const TRAINER_VERSION = `roundhouse-trainer ${version}`;
