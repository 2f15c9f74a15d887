package dev.terway.dhcp6.daemon;

/** No DHCPv6 lease for a pod interface: the message says what was tried and what came back. */
public final class Dhcp6LeaseException extends Exception {

    Dhcp6LeaseException(String message) {
        super(message);
    }

    Dhcp6LeaseException(String message, Throwable cause) {
        super(message, cause);
    }
}
