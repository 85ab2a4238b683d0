package dev.agt.javaagent.runtime;

import java.lang.reflect.Method;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * Results that arrive later: a Reactor {@code Mono}/{@code Flux} or a {@code CompletionStage}.
 * An at-return rule decides when the value arrives, by mapping it; a denial then fails the
 * publisher or the future, which is how those clients report errors. Reactor is the
 * application's, reached by reflection: the agent carries no copy of it.
 */
final class Results {
    private static final ClassValue<Method> MAP = new ClassValue<>() {
        @Override
        protected Method computeValue(Class<?> type) {
            for (Class<?> c = type; c != null; c = c.getSuperclass()) {
                if (c.getName().equals("reactor.core.publisher.Mono") || c.getName().equals("reactor.core.publisher.Flux")) {
                    try {
                        return c.getMethod("map", Function.class);
                    } catch (NoSuchMethodException e) {
                        return null;
                    }
                }
            }
            return null;
        }
    };

    private Results() {
    }

    /** {@code result} with {@code check} applied on arrival, or null when the result is already there. */
    @SuppressWarnings("unchecked")
    static Object onArrival(Object result, Function<Object, Object> check) {
        if (result instanceof CompletionStage<?> stage) {
            return ((CompletionStage<Object>) stage).thenApply(check);
        }
        Method map = MAP.get(result.getClass());
        if (map == null) {
            return null;
        }
        try {
            return map.invoke(result, check);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot attach the agt check to " + result.getClass().getName(), e);
        }
    }
}
