// Issue 23: a large target's first scrape sends its whole body through the JavaScript parser, the
// labeling and the encoding for the native cache. Each runs a slice at a time with turns of the
// event loop between (a 100k-series first scrape held `up` for 0.4-0.6 s before). The slices must
// parse and encode exactly what the whole text would give, errors naming the same line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExpositionCodecImpl } from '../../src/exposition/index.js';
import type { ExpositionCodec, FamilyMetadata } from '../../src/scrape/ingest.js';
import { parseInSlices } from '../../src/scrape/native-ingester.js';
import { encodeLines } from '../../src/storage/text-scrape-cache.js';

const TEXT = 'text/plain; version=0.0.4';
/** The codec as the scrape loop sees it (its port). */
const codec: ExpositionCodec = new ExpositionCodecImpl();

/** A residue as the native cache cuts it: blank lines where it handled the line itself. */
function residue(n: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 7 === 0) lines.push(`# HELP fam_${i} Help of family ${i}.`, `# TYPE fam_${i} ${i % 2 === 0 ? 'counter' : 'gauge'}`);
    lines.push(i % 5 === 0 ? '' : `fam_${i - (i % 7)}{i="${i}",s="é ${i}"} ${i / 4}${i % 3 === 0 ? ` ${1_700_000_000_000 + i}` : ''}`);
  }
  return lines.join('\n') + '\n';
}

type Sample = [string, number, number | undefined];

function whole(text: string): { samples: Sample[]; metadata: Map<string, FamilyMetadata> } {
  const samples: Sample[] = [];
  const metadata = new Map<string, FamilyMetadata>();
  codec.parseInto(text, TEXT, metadata, {}, (s, v, t) => samples.push([s, v, t]));
  return { samples, metadata };
}

async function sliced(text: string, sliceChars: number): Promise<{ samples: Sample[]; metadata: Map<string, FamilyMetadata> }> {
  const samples: Sample[] = [];
  const metadata = new Map<string, FamilyMetadata>();
  await parseInSlices(codec, text, TEXT, metadata, (s, v, t) => samples.push([s, v, t]), sliceChars);
  return { samples, metadata };
}

test('a residue parsed in slices gives the samples and metadata of one parse', async () => {
  const text = residue(300);
  const expected = whole(text);
  assert.ok(expected.samples.length > 200 && expected.metadata.size > 40);
  for (const sliceChars of [1, 37, 100, 4096, 1 << 20]) {
    const got = await sliced(text, sliceChars);
    assert.deepEqual(got.samples, expected.samples, `slices of ${sliceChars} chars`);
    assert.deepEqual([...got.metadata], [...expected.metadata], `slices of ${sliceChars} chars`);
  }
});

test('an error in a later slice names the line of the whole residue', async () => {
  const lines = residue(200).split('\n');
  lines.splice(150, 0, 'fam_bad{i="x"} not-a-number');
  const text = lines.join('\n');
  const message = (() => {
    try {
      whole(text);
    } catch (e) {
      return (e as Error).message;
    }
    assert.fail('the whole parse accepted an invalid value');
  })();
  assert.match(message, /^line 151: /);
  for (const sliceChars of [1, 50, 333]) {
    await assert.rejects(sliced(text, sliceChars), (e: Error) => e.message === message, `slices of ${sliceChars} chars`);
  }
});

test('the event loop turns between the slices of a residue', async () => {
  let turned = false;
  setImmediate(() => {
    turned = true;
  });
  let calls = 0;
  const counting: ExpositionCodec = {
    parseInto(body, contentType, metadata, hints, sink) {
      calls++;
      codec.parseInto(body, contentType, metadata, hints, sink);
    },
    seriesLabels: (series) => codec.seriesLabels(series),
    isTextFormat: (contentType) => codec.isTextFormat(contentType),
  };
  await parseInSlices(counting, residue(400), TEXT, new Map(), () => undefined, 1000);
  assert.ok(calls > 5, `${calls} slices`);
  assert.equal(turned, true, 'an immediate queued before the parse ran before it ended');
});

test('series texts encoded in slices are the UTF-8 of the joined lines', async () => {
  const utf8 = new TextEncoder();
  for (let n = 0; n <= 10; n++) {
    const texts = Array.from({ length: n }, (_, i) => (i === 4 ? 'x' : `m{v="ü${i}"}`));
    for (const slice of [1, 3, 4, 100]) {
      assert.deepEqual(await encodeLines(texts, slice), utf8.encode(texts.join('\n')), `${n} texts in slices of ${slice}`);
    }
  }
});
