package io.redcompress.connect.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The shipped plugin's jars, loaded the way an application would load our decoder: for code that runs with the
 * connector deliberately kept off its own classpath (the plugin-path test, the quickstart).
 */
public final class PluginJars implements AutoCloseable {

    public static final String PLUGIN_NAME = "kafka-connect-redis-compressed";

    private final URLClassLoader loader;
    private final Method decode;
    private final Class<?> decoderClass;
    private final Class<?> resolverInterface;

    private PluginJars(URLClassLoader loader) throws ReflectiveOperationException {
        this.loader = loader;
        this.decoderClass = loader.loadClass("io.redcompress.connect.codec.ValueDecoder");
        this.decode = decoderClass.getMethod("decode", byte[].class);
        this.resolverInterface = loader.loadClass("io.redcompress.connect.codec.DictionaryResolver");
    }

    /**
     * A decoder from the plugin's own jar whose dictionaries (values of codec id 5) come from {@code dictionaries}
     * (id to bytes, null if unknown): {@code ValueDecoder.builder().dictionaries(...).build()::decodeValue}.
     */
    public java.util.function.UnaryOperator<byte[]> decoder(java.util.function.LongFunction<byte[]> dictionaries) {
        try {
            Object resolver = java.lang.reflect.Proxy.newProxyInstance(loader, new Class<?>[] {resolverInterface},
                    (proxy, method, args) -> method.getName().equals("dictionary")
                            ? dictionaries.apply((Long) args[0]) : method.invoke(this, args));
            Object builder = decoderClass.getMethod("builder").invoke(null);
            builder.getClass().getMethod("dictionaries", resolverInterface).invoke(builder, resolver);
            Object decoder = builder.getClass().getMethod("build").invoke(builder);
            Method decodeValue = decoderClass.getMethod("decodeValue", byte[].class);
            return stored -> invoke(decodeValue, decoder, stored);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("the plugin's ValueDecoder has no dictionaries(...)", e);
        }
    }

    private static byte[] invoke(Method method, Object target, byte[] stored) {
        try {
            return (byte[]) method.invoke(target, (Object) stored);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException(e.getCause());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Path libDirectory(Path pluginPath) {
        return pluginPath.resolve(PLUGIN_NAME).resolve("lib");
    }

    public static PluginJars open(Path pluginPath) {
        try (Stream<Path> files = Files.list(libDirectory(pluginPath))) {
            List<URL> urls = files.filter(p -> p.toString().endsWith(".jar")).map(PluginJars::url).toList();
            return new PluginJars(new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the plugin directory " + pluginPath + "; run the build first", e);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("the plugin in " + pluginPath + " has no ValueDecoder", e);
        }
    }

    private static URL url(Path path) {
        try {
            return path.toUri().toURL();
        } catch (MalformedURLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code ValueDecoder.decode(stored)} from the plugin's own jar; decoding errors are rethrown as they are. */
    public byte[] decode(byte[] stored) {
        return invoke(decode, null, stored);
    }

    @Override
    public void close() {
        try {
            loader.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
