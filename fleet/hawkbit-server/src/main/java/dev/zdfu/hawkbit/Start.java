/**
 * The test-rig hawkBit server of zdfu's fleet suite: hawkBit's DDI and Management APIs from the
 * published 0.3.0M7 starters, with hawkBit's own security set-up (basic auth for the Management
 * API, target and gateway tokens for DDI). Mirrors what hawkBit's example app does
 * (eclipse-hawkbit/hawkbit: examples/hawkbit-example-app, Start.java); the method-security
 * configuration is needed because the starters' services are guarded by @PreAuthorize.
 */
package dev.zdfu.hawkbit;

import org.eclipse.hawkbit.autoconfigure.security.EnableHawkbitManagedSecurityConfiguration;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.config.annotation.method.configuration.EnableGlobalMethodSecurity;

@SpringBootApplication
@EnableHawkbitManagedSecurityConfiguration
public class Start {

    /** Enables hawkBit's @PreAuthorize / @Secured checks on repository services. */
    @Configuration
    @EnableGlobalMethodSecurity(prePostEnabled = true, securedEnabled = true, proxyTargetClass = true)
    static class MethodSecurity {
    }

    public static void main(final String[] args) {
        SpringApplication.run(Start.class, args);
    }
}
