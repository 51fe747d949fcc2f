import { gzipSync } from 'node:zlib';
import { CompressionTypes } from 'kafkajs';
import { byCodec, isGzip } from './compression';

const gz = gzipSync(Buffer.from('{"a":1}'));
const avro = Buffer.from([0, 0, 0, 0, 1, 2]);
const m = (topic: string, value: Buffer | null, key = 'k'): { topic: string; key: string; value: Buffer | null } => ({ topic, key, value });

describe('byCodec', () => {
  it('sends topics of gzip values and tombstones uncompressed, and the others gzip, each in order', () => {
    const messages = [m('state', gz, 'a'), m('partials', Buffer.from('{}'), 'p1'), m('state', null, 'b'), m('partials', Buffer.from('{}'), 'p2'), m('state', gz, 'c')];
    expect(byCodec(messages)).toEqual([
      { compression: CompressionTypes.GZIP, messages: [messages[1], messages[3]] },
      { compression: CompressionTypes.None, messages: [messages[0], messages[2], messages[4]] },
    ]);
  });

  it('a topic with one value that is not gzip is gzip for all its records (a partition keeps its order)', () => {
    const messages = [m('t', gz), m('t', avro), m('t', gz)];
    expect(byCodec(messages)).toEqual([{ compression: CompressionTypes.GZIP, messages }]);
  });

  it.each([
    ['only tombstones', [m('t', null)], CompressionTypes.None],
    ['plain JSON', [m('t', Buffer.from('{"a":1}'))], CompressionTypes.GZIP],
    ['one byte that happens to be 0x1f', [m('t', Buffer.from([0x1f]))], CompressionTypes.GZIP],
  ])('%s', (_name, messages, expected) => {
    expect(byCodec(messages).map((part) => part.compression)).toEqual([expected]);
  });

  it('sends nothing for nothing', () => expect(byCodec([])).toEqual([]));

  it('recognises gzip by its magic bytes', () => {
    expect(isGzip(gz)).toBe(true);
    expect(isGzip(Buffer.from([0x1f, 0x8c]))).toBe(false);
  });
});
