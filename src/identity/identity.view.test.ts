import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { FaceEngineError, type FaceQuality } from './face-engine/face-engine.js';
import { appErrorOf, qualifiedFaceView } from './identity.view.js';

const quality: FaceQuality = {
  sizePx: 212,
  sharpness: 0.23805264776621027,
  brightness: 118.04321,
  rollDeg: -3.2871,
  yawDeg: 12.0449,
  pitchDeg: 4.96,
};

describe('appErrorOf', () => {
  it("shows a LOW_QUALITY face's measures as a successful answer shows a face's", () => {
    const error = new FaceEngineError('LOW_QUALITY', 'The face photo is not usable: blurred.', {
      details: { problems: ['blurred'], quality },
    });
    const answer = appErrorOf(error) as AppError;
    expect(answer).toBeInstanceOf(AppError);
    const face = { box: { x: 0, y: 0, width: 1, height: 1 }, confidence: 1, quality };
    expect(answer.details).toEqual({ problems: ['blurred'], quality: qualifiedFaceView(face).quality });
    expect(answer.details).toMatchObject({ quality: { size_px: 212, sharpness: 0.24, roll_deg: -3.3 } });
  });

  it("keeps other failures' details", () => {
    const error = new FaceEngineError('MULTIPLE_FACES', 'Two faces.', { details: { faces: 2 } });
    expect((appErrorOf(error) as AppError).details).toEqual({ faces: 2 });
  });
});
