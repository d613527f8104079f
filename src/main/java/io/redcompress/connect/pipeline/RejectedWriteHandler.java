package io.redcompress.connect.pipeline;

/**
 * Settles a write Redis refused for good: reports it to the dead-letter topic, or throws to fail the task.
 * Returning normally means the record is settled and its offset may be committed.
 */
@FunctionalInterface
public interface RejectedWriteHandler {

    void rejected(PendingWrite write, String redisReply, Throwable cause);
}
