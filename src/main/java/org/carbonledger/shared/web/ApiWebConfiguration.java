package org.carbonledger.shared.web;

import java.util.List;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.config.annotation.CorsRegistry;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/** Scope checks on every handler; CORS closed unless origins are configured. */
@Configuration(proxyBeanMethods = false)
class ApiWebConfiguration implements WebMvcConfigurer {

    private final List<String> corsOrigins;

    ApiWebConfiguration(@Value("${carbonledger.api.cors-allowed-origins:}") List<String> corsOrigins) {
        this.corsOrigins = corsOrigins.stream().filter(o -> !o.isBlank()).toList();
    }

    @Override
    public void addInterceptors(InterceptorRegistry registry) {
        registry.addInterceptor(new ScopeInterceptor());
    }

    @Override
    public void addCorsMappings(CorsRegistry registry) {
        if (!corsOrigins.isEmpty()) {
            registry.addMapping("/v1/**").allowedOrigins(corsOrigins.toArray(String[]::new))
                    .allowedMethods("GET", "POST", "DELETE")
                    .allowedHeaders("Authorization", "Content-Type", "Idempotency-Key")
                    .exposedHeaders("Retry-After", "Idempotent-Replayed");
        }
    }
}
