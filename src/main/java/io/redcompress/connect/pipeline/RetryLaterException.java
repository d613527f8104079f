package io.redcompress.connect.pipeline;

import org.apache.kafka.connect.errors.RetriableException;

/**
 * Asks Connect to redeliver the batch after a backoff. It carries no stack trace and no cause: Connect logs every
 * RetriableException at ERROR with its stack, and during an outage that would be thousands of lines per retry
 * (Lettuce's are deep); the message already names the partition, the offset and Redis's reason, and the task logs
 * one WARN line per failed partition.
 */
public final class RetryLaterException extends RetriableException {

    public RetryLaterException(String message) {
        super(message);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
