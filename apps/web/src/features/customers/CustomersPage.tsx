import { useState } from 'react';
import { Anchor, Button, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { Link } from 'react-router-dom';
import { useCustomers } from '../../api/queries';
import { ErrorNotice, SkeletonLines } from '../../components/feedback';
import { dateTime } from '../../components/format';
import { FeelingBadge } from '../../components/feeling';
import { TopicsPanel } from './TopicsPanel';

export default function CustomersPage() {
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search.trim(), 250);
  const list = useCustomers(q);
  const rows = list.data?.pages.flatMap((p) => p.data) ?? [];
  return (
    <Stack>
      <Title order={1} size="h3">
        Customers
      </Title>
      <TopicsPanel />
      <TextInput
        aria-label="Search customers"
        placeholder="Search by name, email or phone"
        value={search}
        onChange={(e) => setSearch(e.currentTarget.value)}
        maw={360}
        role="searchbox"
      />
      {list.isPending ? <SkeletonLines label="Loading customers" /> : null}
      {list.isError ? <ErrorNotice error={list.error} onRetry={() => void list.refetch()} /> : null}
      {list.isSuccess && rows.length === 0 ? <Text c="dimmed">No customers match.</Text> : null}
      {rows.length > 0 ? (
        <Table striped highlightOnHover aria-label="Customers">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Email</Table.Th>
              <Table.Th>Phone</Table.Th>
              <Table.Th>Feeling</Table.Th>
              <Table.Th>Since</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((c) => (
              <Table.Tr key={c.id}>
                <Table.Td>
                  <Anchor component={Link} to={`/customers/${c.id}`}>
                    {c.name ?? c.email ?? c.phone ?? c.id}
                  </Anchor>
                </Table.Td>
                <Table.Td>{c.email ?? ''}</Table.Td>
                <Table.Td>{c.phone ?? ''}</Table.Td>
                <Table.Td>
                  <FeelingBadge feeling={c.feeling} />
                </Table.Td>
                <Table.Td>{dateTime(c.createdAt)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : null}
      {list.hasNextPage ? (
        <Button variant="default" onClick={() => void list.fetchNextPage()} loading={list.isFetchingNextPage} w="fit-content">
          Load more
        </Button>
      ) : null}
    </Stack>
  );
}
