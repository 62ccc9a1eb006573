package org.carbonledger.support;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.carbonledger.shared.Scope;
import org.carbonledger.shared.web.PublicEndpoint;
import org.carbonledger.shared.web.RequiresScope;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

/** Every {@code /v1} endpoint the application serves, read from its handler mappings (new endpoints included). */
public final class Endpoints {

    private static final Pattern VARIABLE = Pattern.compile("\\{([^}]+)}");

    public record Endpoint(String method, String path, HandlerMethod handler) {

        public Optional<Scope> scope() {
            RequiresScope scope = handler.getMethodAnnotation(RequiresScope.class);
            return Optional.ofNullable(scope).map(RequiresScope::value);
        }

        public boolean isPublic() {
            return handler.hasMethodAnnotation(PublicEndpoint.class);
        }

        public boolean hasJsonBody() {
            for (var parameter : handler.getMethodParameters()) {
                if (parameter.hasParameterAnnotation(RequestBody.class) && parameter.getParameterType() != byte[].class) {
                    return true;
                }
            }
            return false;
        }

        public List<String> variables() {
            List<String> names = new ArrayList<>();
            Matcher m = VARIABLE.matcher(path);
            while (m.find()) {
                names.add(m.group(1));
            }
            return names;
        }

        /** The path with every variable replaced by {@code value}. */
        public String path(String value) {
            return VARIABLE.matcher(path).replaceAll(Matcher.quoteReplacement(value));
        }

        @Override
        public String toString() {
            return method + " " + path;
        }
    }

    private Endpoints() {
    }

    public static List<Endpoint> of(RequestMappingHandlerMapping mapping) {
        List<Endpoint> endpoints = new ArrayList<>();
        mapping.getHandlerMethods().forEach((info, handler) -> {
            for (String path : info.getPatternValues()) {
                if (!path.startsWith("/v1/")) {
                    continue;
                }
                for (var method : info.getMethodsCondition().getMethods()) {
                    endpoints.add(new Endpoint(method.name(), path, handler));
                }
            }
        });
        endpoints.sort(Comparator.comparing((Endpoint e) -> e.path()).thenComparing(e -> e.method()));
        return endpoints;
    }
}
