package io.redcompress.connect.pipeline;

import org.apache.kafka.connect.sink.SinkRecord;

import io.redcompress.connect.mapping.RedisWrite;

/** A write with the record it came from: the record is what a dead-letter report must carry, raw bytes and all. */
public record PendingWrite(SinkRecord record, RedisWrite write) {
}
