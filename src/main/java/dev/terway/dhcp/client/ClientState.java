package dev.terway.dhcp.client;

/**
 * RFC 2131 figure 5 states. INIT and INIT_REBOOT are passed through on the way to SELECTING and
 * REBOOTING (listeners see them in transitions), except that after a DHCPDECLINE the client waits in INIT
 * before it discovers again. PROBING is the check RFC 2131 section 4.4.1 puts between the ACK and BOUND
 * (figure 5 draws it as the DHCPACK arrow's "not accept" branch): the acknowledged address is probed with
 * ARP, and the client binds it or declines it. STOPPED means the client holds no timers: never started,
 * released, stopped, or an acquisition failed.
 */
public enum ClientState {
    STOPPED, INIT, SELECTING, REQUESTING, PROBING, BOUND, RENEWING, REBINDING, INIT_REBOOT, REBOOTING
}
