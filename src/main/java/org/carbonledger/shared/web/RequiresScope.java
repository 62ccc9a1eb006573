package org.carbonledger.shared.web;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.carbonledger.shared.Scope;

/**
 * The scope an API key needs to call this {@code /v1} handler method. Every {@code /v1} handler carries either this
 * or {@link PublicEndpoint}; {@link ScopeInterceptor} refuses a handler that declares neither (fail-closed) and checks
 * the scope before the request body is read or validated.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface RequiresScope {
    Scope value();
}
