/** The virtualization modules (registered in ../index.ts with one line). */
import type { Module } from '../types.js';
import { libvirt_pool } from '../libvirt_pool.js';
import { libvirt_domain } from '../libvirt_domain.js';
import { domain_xml } from '../domain_xml.js';
import { migrate } from '../migrate.js';
import { cold_migrate } from '../cold_migrate.js';
import { guest_image } from './guest_image.js';

export const VIRT_MODULES: Module[] = [libvirt_pool, libvirt_domain, domain_xml, migrate, cold_migrate, guest_image];
