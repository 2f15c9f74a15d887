package dev.terway.dhcp.client;

/**
 * RFC 2131 figure 5 states. INIT and INIT_REBOOT are passed through on the way to SELECTING and
 * REBOOTING (listeners see them in transitions); STOPPED means the client holds no timers: never
 * started, released, stopped, or an acquisition failed.
 */
public enum ClientState {
    STOPPED, INIT, SELECTING, REQUESTING, BOUND, RENEWING, REBINDING, INIT_REBOOT, REBOOTING
}
