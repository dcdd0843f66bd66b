/** The system modules (packages, services, firewall, NFS, mounts, bridge, SSH trust), registered by ../index.ts. */
import type { Module } from '../types.js';
import { packageModule } from '../package.js';
import { service } from '../service.js';
import { firewalld } from '../firewalld.js';
import { nfs_export } from '../nfs_export.js';
import { mount } from '../mount.js';
import { bridge } from '../bridge.js';
import { ssh_keypair } from '../ssh_keypair.js';
import { authorized_key } from '../authorized_key.js';
import { known_hosts } from '../known_hosts.js';
import { sysctl } from '../sysctl.js';

export const SYS_MODULES: Module[] = [packageModule, service, firewalld, nfs_export, mount, bridge, ssh_keypair, authorized_key, known_hosts, sysctl];
