import { randomUUID } from 'node:crypto';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { Logger } from 'pino';
import type { Pools } from '../../src/db/pools';
import { UploadStaging, uploadStores, type IngestFormat, type IngestJob, type IngestKind, type IngestOutcome } from '../../datasources/uploads';
import { COLUMNS, ingestRules } from './rows';
import { RowEncoder } from './encode';
import { ByteCounter, csvRecords, ErrorReport, IngestRefusal, NdjsonLines, RecordReader } from './stream';
import { SegmentedFlowCopy } from './segments';

/** The bounds of one upload (INGEST_* variables, docs/configuration.md). */
export interface IngestLimits {
  /** Largest upload, as sent and once decompressed (bytes). */
  maxBytes: number;
  maxRows: number;
  /** Problems listed in the report (all are counted). */
  maxErrors: number;
  /** Longest an upload may take, transfer and processing (ms). */
  timeoutMs: number;
  /** Slowest average transfer accepted once `graceMs` have passed (bytes per second): a slow body holds a connection. */
  minBytesPerSecond: number;
  graceMs: number;
  /** Flows are applied every this many rows while the rest of the file arrives (services/ingestion/segments.ts). */
  segmentRows: number;
}

export interface IngestDeps {
  pools: Pools;
  logger: Logger;
  idHashSecret: string;
  limits: IngestLimits;
}

export interface UploadRequest {
  kind: IngestKind;
  format: IngestFormat;
  gzip: boolean;
  partial: boolean;
  operator: string;
  keyId: string | null;
  requestId: string | null;
  body: Readable;
}

export interface UploadResult {
  job: IngestJob;
  durationMs: number;
  /** Why the file as a whole was refused (null: it was read to the end). */
  refusal: IngestRefusal | null;
}

/** Persons are found or registered in batches of this many. */
const PERSON_BATCH = 5000;
/** A CSV record or NDJSON line longer than this is no row of ours. */
const MAX_RECORD_CHARS = 64 * 1024;
const PROGRESS_EVERY_MS = 5000;

/**
 * One upload of a carrier (docs/ingestion.md), streamed end to end: request body → (gunzip) →
 * CSV or NDJSON records → checks → COPY into a staging table → one transaction that replaces
 * the operator's rows of the days in the file. All or nothing unless `partial`: a bad row, a
 * repeated row, a refused file or a broken transfer leaves the data as it was. The job row is
 * written before the first byte is read, so the upload can be polled (Query.ingestJob).
 */
export async function runUpload(deps: IngestDeps, req: UploadRequest): Promise<UploadResult> {
  const { pools, logger, limits } = deps;
  const started = Date.now();
  const stores = uploadStores(pools);
  const jobs = stores.jobs;
  const rules = ingestRules(await stores.countyCodes());
  const id = randomUUID();
  await jobs.start({ id, operator: req.operator, kind: req.kind, partial: req.partial, format: req.format, keyId: req.keyId, requestId: req.requestId });
  const log = logger.child({ ingestJob: id, operator: req.operator, kind: req.kind });
  log.info({ format: req.format, gzip: req.gzip, partial: req.partial }, 'ingest started');

  const report = new ErrorReport(limits.maxErrors);
  const received = new ByteCounter(limits.maxBytes, 'The upload');
  let lastLog = started;
  const encoder = new RowEncoder({
    kind: req.kind,
    rules,
    report,
    partial: req.partial,
    maxRows: limits.maxRows,
    idHashSecret: deps.idHashSecret,
    onProgress: (rows) => {
      const now = Date.now();
      if (now - lastLog < PROGRESS_EVERY_MS) return;
      lastLog = now;
      log.info({ rows, bytes: received.bytes, errors: report.count, elapsedMs: now - started }, 'ingest progress');
    },
  });
  const outcome = (status: IngestOutcome['status'], applied = { applied: 0, replaced: 0, dates: [] as string[] }): IngestOutcome => ({
    status,
    bytes: received.bytes,
    rowsReceived: encoder.rows,
    rowsApplied: applied.applied,
    rowsReplaced: applied.replaced,
    errorCount: report.count,
    errors: report.first,
    dates: applied.dates,
  });
  const finish = async (o: IngestOutcome, refusal: IngestRefusal | null): Promise<UploadResult> => {
    const job = await jobs.finish(id, o);
    const durationMs = Date.now() - started;
    log.info({ status: o.status, rows: o.rowsReceived, applied: o.rowsApplied, replaced: o.rowsReplaced, errors: o.errorCount, bytes: o.bytes, durationMs }, 'ingest finished');
    return { job, durationMs, refusal };
  };

  let staging: UploadStaging | null = null;
  const stopWatching = watchTransfer(req.body, received, limits, started);
  try {
    staging = await UploadStaging.open(pools.mobility, req.kind, limits.timeoutMs);
    const stages: Transform[] = [received];
    if (req.gzip) stages.push(createGunzip(), new ByteCounter(limits.maxBytes, 'The upload once decompressed'));
    stages.push(req.format === 'CSV' ? csvRecords(MAX_RECORD_CHARS) : new NdjsonLines(MAX_RECORD_CHARS));
    stages.push(new RecordReader(req.format, COLUMNS[req.kind === 'FLOWS' ? 'flows' : 'stays']), encoder);
    // Flows are applied segment by segment as they arrive, until the upload can no longer succeed;
    // stays wait for the whole file (their persons are registered in another datasource first).
    const flows: SegmentedFlowCopy | null =
      req.kind === 'FLOWS'
        ? new SegmentedFlowCopy({
            staging,
            operator: req.operator,
            segmentRows: limits.segmentRows,
            shouldApply: (): boolean => req.partial || (report.count === 0 && flows!.totals.conflicts === 0),
          })
        : null;
    try {
      await pipeline([req.body, ...stages, flows ?? staging.copyIn()]);
    } catch (err) {
      throw asRefusal(err);
    } finally {
      stopWatching();
    }
    if (report.count > 0 && !req.partial) {
      staging.abandon();
      staging = null;
      return await finish(outcome('REJECTED'), null);
    }
    // Flows: a repeated key showed as a conflict while the segments were inserted (the earlier row
    // kept); the whole file is searched for the report only then. Stays: searched, and with
    // `partial` dropped, before anything is applied.
    const duplicates =
      flows === null || flows.totals.conflicts > 0
        ? await staging.duplicates(limits.maxErrors, flows === null && req.partial)
        : { count: 0, first: [] };
    const keyColumn = req.kind === 'FLOWS' ? 'mode' : 'arrived';
    for (const d of duplicates.first) {
      report.add({ row: d.row, column: keyColumn, message: req.kind === 'FLOWS' ? `repeats row ${d.earlier}: same date, origin, destination and mode.` : `repeats row ${d.earlier}: same person and arrival.` });
    }
    report.count += duplicates.count - duplicates.first.length;
    if (duplicates.count > 0 && !req.partial) {
      staging.abandon();
      staging = null;
      return await finish(outcome('REJECTED'), null);
    }
    if (req.kind === 'STAYS') {
      for await (const batch of staging.persons(PERSON_BATCH)) await staging.assignPersons(await stores.registerPersons(batch));
    }
    if (flows && flows.totals.applied + flows.totals.conflicts !== encoder.sent) {
      // every row sent must have gone into flows or been a repeat: anything else is our bug, not the file's
      throw new Error(`flows upload: ${encoder.sent} rows sent, ${flows.totals.applied} applied and ${flows.totals.conflicts} repeats`);
    }
    const applied = flows ? { ...flows.totals, dates: staging.flowDays() } : await staging.replaceStays(req.operator);
    await staging.commit();
    staging = null;
    // Flows feed import risk, whose answers the response cache keys by the case data version.
    if (req.kind === 'FLOWS' && applied.applied + applied.replaced > 0) await stores.bumpDataVersion();
    return await finish(outcome('SUCCEEDED', applied), null);
  } catch (err) {
    staging?.abandon();
    staging = null;
    if (err instanceof IngestRefusal) return finish(outcome(err.outcome), err);
    log.error({ err }, 'ingest failed');
    await jobs.finish(id, outcome('FAILED')).catch((e: unknown) => log.error({ err: e }, 'ingest job not recorded as FAILED'));
    throw err;
  }
}

/** The error of a failed pipeline as the client should read it: a refusal of the file, or (not the client's doing) as it is. */
function asRefusal(err: unknown): unknown {
  if (err instanceof IngestRefusal) return err;
  const e = err as { code?: string; message?: string; lines?: number };
  // zlib: a stream cut short ("unexpected end of file") or not gzip at all
  if (e.code === 'Z_BUF_ERROR' || e.code === 'Z_DATA_ERROR') {
    return new IngestRefusal(400, e.code === 'Z_BUF_ERROR'
      ? 'The gzip stream is truncated: it ends before its last block. Nothing was applied; send the whole file again.'
      : 'The body is not valid gzip although Content-Encoding says gzip. Nothing was applied.');
  }
  // csv-parse: a quote never closed, a record too long…
  if (typeof e.code === 'string' && e.code.startsWith('CSV_')) {
    return new IngestRefusal(400, `The CSV cannot be read near line ${e.lines ?? '?'}: ${String(e.message).replace(/^Invalid Record Length: |:? ?(at|on) line \d+.*$/g, '').slice(0, 200)}`);
  }
  // The client went away or the connection broke mid-body.
  if (e.code === 'ECONNRESET' || e.code === 'ERR_STREAM_PREMATURE_CLOSE' || e.message === 'aborted') {
    return new IngestRefusal(400, 'The upload was cut off before its end. Nothing was applied.', 'FAILED');
  }
  return err;
}

/**
 * Bounds the transfer: the whole upload within `timeoutMs`, and after `graceMs` at least
 * `minBytesPerSecond` on average until the body has arrived (a slow client holds a connection
 * and a COPY). Breaking the byte counter fails the pipeline with a 408 refusal.
 */
function watchTransfer(body: Readable, counter: ByteCounter, limits: IngestLimits, started: number): () => void {
  let arrived = false;
  const onEnd = () => (arrived = true);
  body.once('end', onEnd);
  const timer = setInterval(() => {
    const elapsed = Date.now() - started;
    if (elapsed > limits.timeoutMs) {
      counter.destroy(new IngestRefusal(408, `The upload took longer than ${limits.timeoutMs / 1000} s (INGEST_TIMEOUT_MS). Nothing was applied.`, 'FAILED'));
    } else if (!arrived && elapsed > limits.graceMs && counter.bytes / (elapsed / 1000) < limits.minBytesPerSecond) {
      counter.destroy(
        new IngestRefusal(408, `The upload arrives at less than ${limits.minBytesPerSecond} bytes per second (INGEST_MIN_BYTES_PER_SECOND). Nothing was applied.`, 'FAILED'),
      );
    }
  }, Math.min(1000, Math.max(50, Math.floor(limits.graceMs / 4))));
  timer.unref();
  return () => {
    clearInterval(timer);
    body.off('end', onEnd);
  };
}
