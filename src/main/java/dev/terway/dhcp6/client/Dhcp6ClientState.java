package dev.terway.dhcp6.client;

/**
 * Where the client is. SOLICITING collects ADVERTISEs; REQUESTING asks the chosen server (also after a
 * renewal answered NoBinding, while the held lease stays valid); BOUND waits for T1; RENEWING talks to the
 * server that granted the lease, REBINDING to any; CONFIRMING asks whether a lease restored after a daemon
 * restart is still on-link. STOPPED holds no timers: never started, released, stopped, or failed.
 */
public enum Dhcp6ClientState {
    STOPPED, SOLICITING, REQUESTING, BOUND, RENEWING, REBINDING, CONFIRMING
}
