package io.switchboard.cli;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

/**
 * SIGTERM/SIGINT handling with a clean exit code. A JVM shutdown hook would exit with 143 after
 * SIGTERM; handling the signal ourselves lets the drain finish and the process exit 0. Uses
 * {@code sun.misc.Signal} (module jdk.unsupported, present on JDK 17 to 25) reflectively, falling back
 * to a shutdown hook where it is missing.
 */
final class Signals {
    private Signals() {
    }

    /** Runs {@code action} on its own thread for every SIGTERM or SIGINT. */
    static void onTerminate(Runnable action) {
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
            Object handler = Proxy.newProxyInstance(Signals.class.getClassLoader(), new Class<?>[] {handlerType},
                    new InvocationHandler() {
                        @Override
                        public Object invoke(Object proxy, Method method, Object[] args) {
                            if (method.getName().equals("handle")) {
                                Thread t = new Thread(action, "switchboard-shutdown");
                                t.start();
                                return null;
                            }
                            if (method.getName().equals("toString")) {
                                return "switchboard signal handler";
                            }
                            if (method.getName().equals("hashCode")) {
                                return System.identityHashCode(proxy);
                            }
                            if (method.getName().equals("equals")) {
                                return proxy == args[0];
                            }
                            return null;
                        }
                    });
            Method handle = signal.getMethod("handle", signal, handlerType);
            for (String name : new String[] {"TERM", "INT"}) {
                handle.invoke(null, signal.getConstructor(String.class).newInstance(name), handler);
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            Runtime.getRuntime().addShutdownHook(new Thread(action, "switchboard-shutdown"));
        }
    }
}
