package org.carbonledger.shared.web;

import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.config.annotation.ViewControllerRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * The browser dashboard: static files under {@code classpath:/static/dashboard/}, served at {@code /dashboard/}. It
 * reads everything through the public {@code /v1} API with the signed-in key, so it needs no server-side session.
 */
@Configuration(proxyBeanMethods = false)
class DashboardRoutes implements WebMvcConfigurer {

    @Override
    public void addViewControllers(ViewControllerRegistry registry) {
        registry.addRedirectViewController("/dashboard", "/dashboard/");
        registry.addViewController("/dashboard/").setViewName("forward:/dashboard/index.html");
    }
}
