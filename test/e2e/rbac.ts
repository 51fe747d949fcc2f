/**
 * k8s/rbac applied into a namespace, as an operator would with kustomize's
 * namespace set to it: the dispatcher's ServiceAccount, Role and RoleBinding and
 * the trainer's ServiceAccount.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type * as K8s from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { k8s } from '../helpers/kubernetes';

const RBAC_DIR = path.join(__dirname, '..', '..', 'k8s', 'rbac');
export const DISPATCHER_SERVICE_ACCOUNT = 'roundhouse-dispatcher';
export const TRAINER_SERVICE_ACCOUNT = 'roundhouse-trainer';

export async function applyRbac(admin: K8s.KubeConfig, namespace: string): Promise<void> {
  const core = admin.makeApiClient(k8s().CoreV1Api);
  const rbac = admin.makeApiClient(k8s().RbacAuthorizationV1Api);
  const read = <T>(file: string): T => parseYaml(readFileSync(path.join(RBAC_DIR, file), 'utf8')) as T;
  await core.createNamespacedServiceAccount({ namespace, body: read<K8s.V1ServiceAccount>('serviceaccount.yaml') });
  await core.createNamespacedServiceAccount({ namespace, body: read<K8s.V1ServiceAccount>('trainer-serviceaccount.yaml') });
  await rbac.createNamespacedRole({ namespace, body: read<K8s.V1Role>('role.yaml') });
  const binding = read<K8s.V1RoleBinding>('rolebinding.yaml');
  await rbac.createNamespacedRoleBinding({ namespace, body: { ...binding, subjects: (binding.subjects ?? []).map((s) => ({ ...s, namespace })) } });
}
