package io.redcompress.connect.testing;

/**
 * An error reply ({@code -ERR ...}, {@code -WRONGTYPE ...}, {@code -LOADING ...}) received by {@link RespClient}.
 *
 * <p>Thrown for a top-level error reply. Errors nested inside an array reply (for example the
 * result of {@code EXEC}) are not thrown but returned as instances of this class inside the list.
 */
public final class RedisErrorReply extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String reply;

    public RedisErrorReply(String reply) {
        super(reply);
        this.reply = reply;
    }

    /** The full error line as sent by Redis, without the leading '-'. */
    public String reply() {
        return reply;
    }

    /** The error prefix: the first word of the reply, e.g. {@code ERR}, {@code WRONGTYPE}, {@code NOAUTH}. */
    public String code() {
        int space = reply.indexOf(' ');
        return space < 0 ? reply : reply.substring(0, space);
    }
}
