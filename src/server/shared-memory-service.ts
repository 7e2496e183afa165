// SharedMemoryService: registers, lists and unregisters the regions that FspService tensors may refer to.
import type { Logger } from 'pino';
import type { SharedMemoryServiceHandlers } from '../generated/fspd/v1/SharedMemoryService.js';
import type { SharedMemoryRegion } from '../generated/fspd/v1/SharedMemoryRegion.js';
import type { RegionInfo, SharedMemoryRegions } from './shared-memory.js';
import { unary } from './rpc.js';

export const SHARED_MEMORY_SERVICE = 'fspd.v1.SharedMemoryService';

const toMessage = (r: RegionInfo): SharedMemoryRegion => ({ name: r.name, path: r.path, byteSize: r.byteSize, zeroCopy: r.zeroCopy });

export function sharedMemoryServiceHandlers(regions: SharedMemoryRegions, log: Logger): SharedMemoryServiceHandlers {
  return {
    RegisterSharedMemory: unary(log, async (request) => {
      const region = regions.register(request.name, request.path, Number(request.byteSize));
      log.info({ region }, 'shared-memory region registered');
      return { region: toMessage(region) };
    }),
    UnregisterSharedMemory: unary(log, async (request) => {
      regions.unregister(request.name);
      log.info({ region: request.name }, 'shared-memory region unregistered');
      return {};
    }),
    ListSharedMemory: unary(log, async () => ({ regions: regions.list().map(toMessage) })),
  };
}
