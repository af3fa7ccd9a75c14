import assert from "node:assert/strict";
import fc from "fast-check";
import {
  beliefsPath,
  loadBeliefs,
  MAX_BELIEFS_FILE_BYTES,
  parseBeliefs,
  saveBeliefs,
} from "../../commands/_beliefs.ts";
import {
  type Beliefs,
  DEFAULT_MAX_PEERS,
  emptyBeliefs,
  HOUR_MS,
  recordAttempt,
  recordNetwork,
} from "../../lib/punch/beliefs.ts";
import { PeerkitError } from "../../lib/util/errors.ts";

const ID = "3F1C".repeat(16);
const NOW = 1_800_000_000_000;

function sample(): Beliefs {
  let b = emptyBeliefs(NOW - HOUR_MS);
  b = recordNetwork(b, "udp", true, NOW - 50 * 60_000);
  b = recordNetwork(b, "eim", false, NOW - 40 * 60_000);
  for (let i = 0; i < 5; i++) b = recordAttempt(b, ID, "direct", i % 2 === 0, NOW - i * 60_000);
  b = recordAttempt(b, "A".repeat(64), "relay", true, NOW - 1);
  return b;
}

async function withHome(fn: (home: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(`${dir}/state`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function loadWarn(home: string, now = NOW): Promise<{ b: Beliefs; lines: string[] }> {
  const lines: string[] = [];
  const b = await loadBeliefs(home, now, (l) => lines.push(l));
  return { b, lines };
}

Deno.test("loadBeliefs() with no file: empty beliefs and no warning", async () => {
  await withHome(async (home) => {
    const { b, lines } = await loadWarn(home);
    assert.deepEqual(b, emptyBeliefs(NOW));
    assert.deepEqual(lines, []);
  });
});

Deno.test("saveBeliefs() then loadBeliefs() round-trips exactly", async () => {
  await withHome(async (home) => {
    const b = sample();
    await saveBeliefs(home, b);
    const { b: back, lines } = await loadWarn(home);
    assert.deepEqual(lines, []);
    assert.deepEqual(back, b);
  });
});

Deno.test("saveBeliefs() creates the state directory 0700 and the file 0600", async () => {
  await withHome(async (home) => {
    await saveBeliefs(home, sample());
    assert.equal((await Deno.stat(home)).mode! & 0o777, 0o700);
    assert.equal((await Deno.stat(beliefsPath(home))).mode! & 0o777, 0o600);
  });
});

Deno.test("saveBeliefs() replaces a world-readable file with a 0600 one", async () => {
  await withHome(async (home) => {
    await Deno.mkdir(home, { mode: 0o700 });
    await Deno.writeTextFile(beliefsPath(home), "old", { mode: 0o644 });
    await Deno.chmod(beliefsPath(home), 0o644);
    await saveBeliefs(home, sample());
    assert.equal((await Deno.stat(beliefsPath(home))).mode! & 0o777, 0o600);
  });
});

Deno.test("saveBeliefs() is atomic: renames a new file in, never rewrites the old one", async () => {
  await withHome(async (home) => {
    await saveBeliefs(home, emptyBeliefs(NOW));
    const before = await Deno.readTextFile(beliefsPath(home));
    await Deno.link(beliefsPath(home), `${home}/old-link`);
    await saveBeliefs(home, sample());
    assert.equal(await Deno.readTextFile(`${home}/old-link`), before);
    assert.notEqual(await Deno.readTextFile(beliefsPath(home)), before);
    const names = [];
    for await (const e of Deno.readDir(home)) names.push(e.name);
    assert.deepEqual(names.sort(), ["beliefs.json", "old-link"]);
  });
});

Deno.test("saveBeliefs() into an unusable directory is a PeerkitError, no temp file left", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/file`, "");
    await assert.rejects(saveBeliefs(`${dir}/file`, sample()), PeerkitError);
    await Deno.mkdir(`${dir}/home`);
    await Deno.mkdir(`${dir}/home/beliefs.json`);
    await Deno.writeTextFile(`${dir}/home/beliefs.json/x`, "");
    await assert.rejects(
      saveBeliefs(`${dir}/home`, sample()),
      (e) => e instanceof PeerkitError && e.code === "BELIEFS_UNWRITABLE",
    );
    const names = [];
    for await (const e of Deno.readDir(`${dir}/home`)) names.push(e.name);
    assert.deepEqual(names, ["beliefs.json"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("saveBeliefs() keeps the file bounded: at most the default number of peers", async () => {
  await withHome(async (home) => {
    let b = emptyBeliefs(0);
    for (let i = 0; i < DEFAULT_MAX_PEERS + 50; i++) {
      b = recordAttempt(b, i.toString(16).padStart(64, "0").toUpperCase(), "relay", true, i);
    }
    await saveBeliefs(home, b);
    const { b: back } = await loadWarn(home, DEFAULT_MAX_PEERS + 50);
    assert.equal(Object.keys(back.peers).length, DEFAULT_MAX_PEERS);
    assert.ok(!(("0".repeat(64)) in back.peers));
  });
});

Deno.test("loadBeliefs() prunes what it loads: faded peers go, at most the default number stay", async () => {
  await withHome(async (home) => {
    await Deno.mkdir(home);
    const v = JSON.parse(JSON.stringify(emptyBeliefs(0)));
    const entry = (t: number) => ({ a: 2, b: 1, t });
    for (let i = 0; i < DEFAULT_MAX_PEERS + 6; i++) {
      const t = NOW - 2000 + i;
      v.peers[i.toString(16).padStart(64, "0").toUpperCase()] = {
        direct: entry(t),
        birthday: { a: 1, b: 2, t },
        relay: { a: 2, b: 1, t },
      };
    }
    v.peers["F".repeat(64)] = {
      direct: entry(NOW - 48 * HOUR_MS),
      birthday: { a: 1, b: 2, t: NOW - 48 * HOUR_MS },
      relay: { a: 2, b: 1, t: NOW - 48 * HOUR_MS },
    };
    await Deno.writeTextFile(beliefsPath(home), JSON.stringify(v));
    const { b, lines } = await loadWarn(home);
    assert.deepEqual(lines, []);
    assert.equal(Object.keys(b.peers).length, DEFAULT_MAX_PEERS);
    assert.ok(!("F".repeat(64) in b.peers));
    assert.ok(!("0".repeat(64) in b.peers));
  });
});

const valid = () => JSON.parse(JSON.stringify(sample()));
const CORRUPT: [string, () => string][] = [
  ["bad JSON", () => "{not json"],
  ["an empty file", () => ""],
  ["a NaN literal", () => JSON.stringify(valid()).replace(/"b":\d+(\.\d+)?/, '"b":NaN')],
  ["null", () => "null"],
  ["wrong version", () => JSON.stringify({ ...valid(), version: 2 })],
  ["a missing network", () => JSON.stringify({ version: 1, peers: {} })],
  [
    "a string count",
    () =>
      JSON.stringify({
        ...valid(),
        network: { ...valid().network, udp: { a: "NaN", b: 1, t: 0 } },
      }),
  ],
  [
    "an infinite count (1e999)",
    () => JSON.stringify(valid()).replace(/"a":\d+(\.\d+)?/, '"a":1e999'),
  ],
  ["a negative count", () => {
    const v = valid();
    v.peers[ID].direct.b = -1;
    return JSON.stringify(v);
  }],
  ["a huge count", () => {
    const v = valid();
    v.peers[ID].relay.a = 1e300;
    return JSON.stringify(v);
  }],
  ["a time in the future", () => {
    const v = valid();
    v.network.eif.t = NOW + 1;
    return JSON.stringify(v);
  }],
  ["a lower-case peer id", () => {
    const v = valid();
    v.peers = { [ID.toLowerCase()]: v.peers[ID] };
    return JSON.stringify(v);
  }],
  ["a peer missing a kind", () => {
    const v = valid();
    delete v.peers[ID].birthday;
    return JSON.stringify(v);
  }],
];

for (const [what, text] of CORRUPT) {
  Deno.test(`loadBeliefs() with ${what}: one warning line and empty beliefs`, async () => {
    await withHome(async (home) => {
      await Deno.mkdir(home);
      await Deno.writeTextFile(beliefsPath(home), text());
      const { b, lines } = await loadWarn(home);
      assert.deepEqual(b, emptyBeliefs(NOW));
      assert.equal(lines.length, 1);
      assert.ok(!lines[0]!.includes("\n"), lines[0]);
      assert.match(lines[0]!, /^ignoring .*beliefs\.json: .+; starting with empty beliefs$/);
    });
  });
}

Deno.test("loadBeliefs() names the bad field in its warning", async () => {
  await withHome(async (home) => {
    await Deno.mkdir(home);
    const v = valid();
    v.peers[ID].direct.b = -1;
    await Deno.writeTextFile(beliefsPath(home), JSON.stringify(v));
    const { lines } = await loadWarn(home);
    assert.match(lines[0]!, new RegExp(`peers\\.${ID}\\.direct\\.b: `));
  });
});

Deno.test("loadBeliefs() refuses a directory and an oversized file with a warning", async () => {
  await withHome(async (home) => {
    await Deno.mkdir(`${home}/beliefs.json`, { recursive: true });
    const dir = await loadWarn(home);
    assert.equal(dir.lines.length, 1);
    assert.match(dir.lines[0]!, /not a regular file/);
    await Deno.remove(`${home}/beliefs.json`);
    const f = await Deno.open(beliefsPath(home), { write: true, create: true });
    await f.truncate(MAX_BELIEFS_FILE_BYTES + 1);
    f.close();
    const big = await loadWarn(home);
    assert.deepEqual(big.b, emptyBeliefs(NOW));
    assert.match(big.lines[0]!, /more than/);
  });
});

Deno.test("loadBeliefs() without a callback stays quiet and returns empty beliefs", async () => {
  await withHome(async (home) => {
    await Deno.mkdir(home);
    await Deno.writeTextFile(beliefsPath(home), "[]");
    assert.deepEqual(await loadBeliefs(home, NOW), emptyBeliefs(NOW));
  });
});

Deno.test("fuzz: a truncated or bit-flipped file never throws and loads valid beliefs", async () => {
  const text = JSON.stringify(sample());
  const bytes = new TextEncoder().encode(text);
  const mutation = fc.oneof(
    fc.record({ cut: fc.integer({ min: 0, max: bytes.length }) }),
    fc.record({
      at: fc.integer({ min: 0, max: bytes.length - 1 }),
      bit: fc.integer({ min: 0, max: 7 }),
    }),
  );
  const mutate = (m: { cut: number } | { at: number; bit: number }) => {
    if ("cut" in m) return bytes.slice(0, m.cut);
    const out = bytes.slice();
    out[m.at]! ^= 1 << m.bit;
    return out;
  };
  fc.assert(
    fc.property(mutation, (m) => {
      const t = new TextDecoder().decode(mutate(m));
      let raw: unknown;
      try {
        raw = JSON.parse(t);
      } catch {
        return;
      }
      const r = parseBeliefs(raw, NOW);
      if (!r.ok) assert.ok(r.reason.length > 0 && !r.reason.includes("\n"));
    }),
    { numRuns: 1000 },
  );
  await withHome(async (home) => {
    await Deno.mkdir(home);
    const samples = fc.sample(mutation, { numRuns: 40, seed: 42 });
    for (const m of samples) {
      await Deno.writeFile(beliefsPath(home), mutate(m));
      const { b, lines } = await loadWarn(home);
      assert.ok(lines.length <= 1);
      assert.ok(parseBeliefs(b, NOW).ok, "loaded beliefs must be valid");
    }
  });
});
