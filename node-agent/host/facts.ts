/**
 * The shape of the `facts` object in `io.kubescape.host.reported` events: what Kubescape's host
 * scanner served on separate endpoints (reference operator.md §5.7), as one versioned document.
 *
 * The scan function (host controls) parses incoming facts with `HostFactsSchema`. Rules of the
 * shape, so consumers can rely on them:
 *  - `schemaVersion` changes only on an incompatible change; fields are added compatibly
 *    (objects are `.loose()` so an older consumer tolerates newer producers).
 *  - A section that could not be collected is present with `error` set rather than missing, so
 *    "not collected" is distinguishable from "absent on this host" (e.g. `kubelet: null` means no
 *    kubelet process was found; `kubelet.error` means we could not tell).
 *  - Every path is a host path (as seen from the node's `/`), never the agent's mount path.
 *  - Arrays are sorted, so the same host state always serialises identically (change detection
 *    hashes the facts).
 */
import { z } from 'zod';
import { HOST_FACTS_SCHEMA_VERSION } from './schema-version.js';

export { HOST_FACTS_SCHEMA_VERSION };

export const FileInfoSchema = z
  .object({
    path: z.string(),
    realPath: z.string().optional(),
    exists: z.boolean(),
    type: z.enum(['file', 'directory', 'symlink', 'other']).optional(),
    ownership: z
      .object({
        uid: z.number().int(),
        gid: z.number().int(),
        username: z.string().optional(),
        groupname: z.string().optional(),
      })
      .optional(),
    /** mode & 0o7777 */
    permissions: z.number().int().min(0).max(0o7777).optional(),
    /** The same as an octal string, e.g. "0600". */
    mode: z.string().optional(),
    size: z.number().int().nonnegative().optional(),
    error: z.string().optional(),
  })
  .loose();
export type FileInfoFact = z.infer<typeof FileInfoSchema>;

/** A file whose content we also parsed (YAML/JSON). `content` is absent when unreadable or too large. */
export const ConfigFileSchema = FileInfoSchema.extend({
  content: z.unknown().optional(),
  parseError: z.string().optional(),
  truncated: z.boolean().optional(),
}).loose();
export type ConfigFileFact = z.infer<typeof ConfigFileSchema>;

export const ProcessSchema = z
  .object({
    pid: z.number().int().positive(),
    /** argv as the kernel shows it. */
    cmdLine: z.array(z.string()),
    /** `--flag=value` pairs parsed from argv (last wins). */
    flags: z.record(z.string(), z.string()),
  })
  .loose();

export const PortSchema = z
  .object({
    transport: z.enum(['tcp', 'tcp6', 'udp', 'udp6']),
    localAddress: z.string(),
    localPort: z.number().int().min(0).max(65535),
    remoteAddress: z.string(),
    remotePort: z.number().int().min(0).max(65535),
    inode: z.number().int().nonnegative(),
    /** Owner process; absent when no readable /proc/<pid>/fd holds the socket. */
    pid: z.number().int().positive().optional(),
    name: z.string().optional(),
    cmdLine: z.array(z.string()).optional(),
  })
  .loose();
export type PortFact = z.infer<typeof PortSchema>;

export const KubeletInfoSchema = z
  .object({
    process: ProcessSchema,
    /** `--config` file, YAML parsed into `content`. */
    configFile: ConfigFileSchema.optional(),
    /** `--kubeconfig` file (permissions/ownership only: it holds credentials). */
    kubeConfigFile: FileInfoSchema.optional(),
    /** `--client-ca-file`, else the config's authentication.x509.clientCAFile. */
    clientCAFile: FileInfoSchema.optional(),
    /** systemd unit and drop-in files of the kubelet that exist on the host. */
    serviceFiles: z.array(FileInfoSchema),
  })
  .loose();

export const KubeProxyInfoSchema = z
  .object({
    process: ProcessSchema,
    kubeConfigFile: FileInfoSchema.optional(),
    configFile: ConfigFileSchema.optional(),
  })
  .loose();

/** One control-plane component: its static pod manifest and the command line it runs with. */
export const ControlPlaneComponentSchema = z
  .object({
    /** The static pod manifest, YAML parsed into `content`. */
    specsFile: ConfigFileSchema.optional(),
    /** argv: from the running process when found, else command+args of the manifest's container. */
    cmdLine: z.array(z.string()),
    cmdLineSource: z.enum(['process', 'manifest']),
    flags: z.record(z.string(), z.string()),
    pid: z.number().int().positive().optional(),
    /** Files named by flags that host controls inspect (kubeconfig, encryption config, audit policy ...). */
    files: z.record(z.string(), FileInfoSchema),
  })
  .loose();

export const ControlPlaneInfoSchema = z
  .object({
    apiServer: ControlPlaneComponentSchema.nullable(),
    controllerManager: ControlPlaneComponentSchema.nullable(),
    scheduler: ControlPlaneComponentSchema.nullable(),
    etcd: ControlPlaneComponentSchema.nullable(),
    /** etcd `--data-dir` (directory permissions/ownership). */
    etcdDataDir: FileInfoSchema.optional(),
    adminConfigFile: FileInfoSchema.optional(),
    manifestsDir: FileInfoSchema,
    pkiDir: FileInfoSchema,
    /** Files under /etc/kubernetes/pki and one level of subdirectories (etcd/). */
    pkiFiles: z.array(FileInfoSchema),
  })
  .loose();

export const CniInfoSchema = z
  .object({
    configDir: FileInfoSchema,
    /** *.conf, *.conflist, *.json in the CNI config dir, JSON parsed into `content`. */
    configFiles: z.array(ConfigFileSchema),
    /** Network names and plugin types from the configs, e.g. ["calico", "k8s-pod-network", "portmap"]. */
    names: z.array(z.string()),
  })
  .loose();

export const KernelVariableSchema = z
  .object({ key: z.string(), value: z.string(), source: z.string() })
  .loose();

const Err = z.object({ error: z.string() });

export const HostFactsSchema = z
  .object({
    schemaVersion: z.literal(HOST_FACTS_SCHEMA_VERSION),
    nodeName: z.string(),
    osRelease: z
      .object({
        file: FileInfoSchema,
        /** Raw text (bounded), as Kubescape's /osrelease returned it. */
        raw: z.string().optional(),
        /** KEY=value pairs with quotes removed (ID, VERSION_ID, PRETTY_NAME ...). */
        values: z.record(z.string(), z.string()),
      })
      .loose(),
    kernel: z
      .object({
        /** /proc/version */
        version: z.string().optional(),
        /** /proc/sys/kernel/osrelease, equals `uname -r`. */
        release: z.string().optional(),
      })
      .loose(),
    securityHardening: z
      .object({
        appArmor: z
          .object({
            /** /sys/module/apparmor/parameters/enabled == "Y" */
            enabled: z.boolean(),
            /** Number of loaded profiles (/sys/kernel/security/apparmor/profiles), when readable. */
            profiles: z.number().int().nonnegative().optional(),
            enforce: z.number().int().nonnegative().optional(),
            complain: z.number().int().nonnegative().optional(),
          })
          .loose(),
        seLinux: z
          .object({
            /** "enforcing" | "permissive" | "disabled" (no selinuxfs). */
            mode: z.enum(['enforcing', 'permissive', 'disabled']),
          })
          .loose(),
      })
      .loose(),
    openPorts: z
      .object({
        /** Listening TCP sockets (state LISTEN). */
        tcp: z.array(PortSchema),
        /** Bound, unconnected UDP sockets. */
        udp: z.array(PortSchema),
        /** Which network namespace was read: /proc/<pid>/net of `netNamespacePid` (1 = the host's). */
        netNamespacePid: z.string(),
        error: z.string().optional(),
      })
      .loose(),
    kernelVariables: z.array(KernelVariableSchema),
    kubelet: z.union([KubeletInfoSchema, Err]).nullable(),
    kubeProxy: z.union([KubeProxyInfoSchema, Err]).nullable(),
    controlPlane: z.union([ControlPlaneInfoSchema, Err]),
    cni: z.union([CniInfoSchema, Err]),
    /** Non-fatal problems met while collecting (unreadable entries etc.), for operators. */
    warnings: z.array(z.string()),
  })
  .loose();
export type HostFacts = z.infer<typeof HostFactsSchema>;
export type KubeletInfo = z.infer<typeof KubeletInfoSchema>;
export type KubeProxyInfo = z.infer<typeof KubeProxyInfoSchema>;
export type ControlPlaneInfo = z.infer<typeof ControlPlaneInfoSchema>;
export type ControlPlaneComponent = z.infer<typeof ControlPlaneComponentSchema>;
export type CniInfo = z.infer<typeof CniInfoSchema>;
export type ProcessFact = z.infer<typeof ProcessSchema>;
